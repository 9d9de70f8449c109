/**
 * The second half of the Python harness's source (see python_harness.ts):
 * outcomes, compiling and starting a snippet, flushing its output and
 * resetting the interpreter after it.
 */
export const PYTHON_HARNESS_RUN = String.raw`
def _reseed():
    # 32 bytes from the OS are plenty for a Mersenne Twister and far cheaper
    # than random.seed()'s 2.5 KB.
    random.seed(os.urandom(32))


def _format_exception(exc):
    te = _TracebackException.from_exception(exc)
    # Drop the harness frames that lead into the user's code.
    frames = list(te.stack)
    for i, frame in enumerate(frames):
        if frame.filename == _USER_FILE:
            te.stack = _StackSummary.from_list(frames[i:])
            break
    else:
        te.stack = _StackSummary.from_list([])
    return "".join(te.format())


def _to_text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return _dumps(value, ensure_ascii=False)
    except Exception:
        try:
            return _repr(value)
        except Exception:
            return ""


def _to_json(value):
    try:
        return _dumps(value, ensure_ascii=False, allow_nan=False)
    except Exception:
        return None


def _outcome(status, value, exit_code, ret_set, exc=None):
    """(status, ret_val text, exit code, ret_set, ret_json text or None,
    exception type or None, exception message or None)"""
    text = _to_text(value) if ret_set else ""
    as_json = _to_json(value) if ret_set else None
    if exc is None:
        return (status, text, exit_code, ret_set, as_json, None, None)
    try:
        message = str(exc)
    except Exception:
        message = ""
    return (status, text, exit_code, ret_set, as_json, type(exc).__name__, message)


def _finish_value(value):
    if _state.ret is not _MISSING:
        return _outcome("success", _state.ret, 0, True)
    return _outcome("success", value, 0, value is not None)


def _finish_error(exc, interrupted):
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            exit_code = 0
        elif isinstance(code, int):
            exit_code = code
        else:
            sys.stderr.write(str(code) + "\n")
            exit_code = 1
        status = "success" if exit_code == 0 else "error"
        if _state.ret is not _MISSING:
            return _outcome(status, _state.ret, exit_code, True)
        return _outcome(status, None, exit_code, False)
    if isinstance(exc, KeyboardInterrupt) and interrupted():
        return _outcome("timeout", None, 1, False)
    sys.stderr.write(_format_exception(exc))
    return _outcome("error", None, 1, False, exc)


def compile_source(source):
    """Compile a snippet: a code object, None for an empty one, or the
    error text (a str) when it does not compile."""
    try:
        return _Runner(source, filename=_USER_FILE, flags=_TOP_LEVEL_AWAIT).compile().code
    except BaseException as exc:
        return "".join(traceback.format_exception_only(exc))


_session_scope = None


def _scope(input_json, session):
    """A fresh scope for a run; a session's one scope, kept across its runs."""
    global _session_scope
    if not session:
        return {
            "__name__": "__main__",
            "__builtins__": builtins,
            "INPUT": json.loads(input_json),
            "return_val": _return_val,
        }
    if _session_scope is None:
        _session_scope = {"__name__": "__main__", "__builtins__": builtins}
        # A session's files (uploaded or written by its runs) are importable.
        sys.path.insert(0, os.getcwd())
    # Files may have changed since the last run: forget what the finders saw.
    _invalidate_caches()
    _session_scope["INPUT"] = json.loads(input_json)
    _session_scope["return_val"] = _return_val
    return _session_scope


def start(code, input_json, stdin, argv_json, files, session=False):
    """Run one compiled snippet. Returns an outcome tuple, or a coroutine for
    code with top-level await (the caller awaits it and gets the tuple).
    argv_json: sys.argv as JSON text, or "" to leave it; files: whether
    the run was given files (its directory then leads sys.path); session:
    run in the session's scope, which the next run sees again (no reset
    follows)."""
    _state.ret = _MISSING
    sys.stdin = _StringIO(stdin)
    if argv_json:
        sys.argv = json.loads(argv_json)
    if files and not session:
        # reset() puts sys.path back; the finders must forget what the
        # directory held before this run's files were written.
        sys.path.insert(0, os.getcwd())
        _invalidate_caches()
    scope = _scope(input_json, session)
    if code is None:
        return _finish_value(None)
    if code.co_flags & _CO_COROUTINE:
        return _start_async(code, scope)
    try:
        eval(code, scope)
        return _finish_value(None)
    except _EvalResult as result:
        # Pyodide's compiler turns a final expression into this raise.
        return _finish_value(result.value)
    except BaseException as exc:
        return _finish_error(exc, _interrupted)


async def _start_async(code, scope):
    try:
        await eval(code, scope)
        return _finish_value(None)
    except _EvalResult as result:
        return _finish_value(result.value)
    except BaseException as exc:
        return _finish_error(exc, _interrupted)


def flush():
    """Flush the captured streams (as set up at start, whatever the run did
    to sys.stdout), so output without a trailing newline is not lost."""
    for stream in _streams:
        try:
            stream.flush()
        except Exception:
            pass


def reset(everything, changed, classes):
    """Put the interpreter back to its state at setup(). everything: restore
    every watched dict; else changed lists the addresses of the watched dicts
    that changed (None for none). classes: indexes of the classes whose tag
    changed (None for none)."""
    modules, dicts, path, environ, home, recursion = _snapshot
    sys.settrace(None)
    sys.setprofile(None)
    try:
        import asyncio
        for task in asyncio.all_tasks(asyncio.get_event_loop()):
            task.cancel()
    except Exception:
        pass
    _restore_classes(classes)
    # "None" arrives as JavaScript null, which Pyodide passes as JsNull, not
    # None: test for emptiness, not identity.
    changed = () if everything or not changed else set(changed)
    if everything:
        restore = dicts
    else:
        by_id = _dicts_by_id
        restore = [by_id[i] for i in changed if i in by_id]
    for d, saved in restore:
        d.clear()
        d.update(saved)
    current = _modules_dict
    if everything or id(current) in changed:
        added = [n for n in current if n not in modules]
        kept = _kept_packages(added)
        for name in added:
            if name.partition(".")[0] not in kept:
                del current[name]
        current.update(modules)
        _kept_names[:] = [n for n in added if n in current and "." in n]
    # A kept submodule is an attribute of its parent too: restoring the
    # parent's dict (a preloaded package's) may have dropped it.
    for name in _kept_names:
        parent, _, child = name.rpartition(".")
        if current.get(parent) is not None and current.get(name) is not None:
            try:
                setattr(current[parent], child, current[name])
            except Exception:
                pass
    sys.path[:] = path
    env = os.environ
    if env._data is not _environ_data:
        env._data = _environ_data
        everything = True
    if everything or id(_environ_data) in changed:
        if dict(env) != environ:
            env.clear()
            env.update(environ)
    try:
        if os.getcwd() != home:
            os.chdir(home)
    except OSError:
        os.chdir(home)
    sys.setrecursionlimit(recursion)
    _reseed()
`;
