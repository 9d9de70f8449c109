/**
 * Python side of the Python worker: runs one snippet and puts the interpreter
 * back as it was at start. Kept as a string so the worker needs no read
 * permission beyond the three Pyodide files.
 *
 * The module is installed as `sys.modules["_faas_harness"]`; `prepare()` must
 * run once after every preload so its snapshot covers everything later runs
 * may touch, and `connect()` once per interpreter (also after a memory
 * snapshot is restored).
 */
import { PYTHON_HARNESS_RUN } from "./python_harness_run.ts";

/** The module's source: its state and guards here, running and resetting in python_harness_run.ts. */
export const PYTHON_HARNESS = String.raw`
import ast, builtins, inspect, io, json, os, random, sys, traceback
from pyodide.code import CodeRunner
from _pyodide._base import EvalCodeResultException as _EvalResult
from importlib.machinery import ExtensionFileLoader as _ExtensionFileLoader
from importlib import invalidate_caches as _invalidate_caches

_USER_FILE = "<exec>"
_dumps = json.dumps
_repr = repr
_Runner = CodeRunner
_CO_COROUTINE = inspect.CO_COROUTINE
_TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_TracebackException = traceback.TracebackException
_StackSummary = traceback.StackSummary
_StringIO = io.StringIO
_MISSING = object()

_snapshot = None
_dicts_by_id = {}
# The interpreter's own module table and environment store, as at setup.
_modules_dict = sys.modules
_environ_data = os.environ._data
_streams = ()
class _State:
    """Per-run state the predefined return_val() writes into."""

    def __init__(self):
        self.ret = _MISSING


_state = _State()

_HEAPTYPE = 1 << 9
# Heap classes of the modules present at setup, with their attributes then.
_classes = []
# Indexes into _classes whose version tag cannot be watched: compared in full.
_untagged = []


def _restore_class(cls, saved):
    current = cls.__dict__
    for name in [n for n in current if n not in saved]:
        try:
            delattr(cls, name)
        except Exception:
            pass
    for name, value in saved.items():
        if current.get(name, _MISSING) is not value:
            try:
                setattr(cls, name, value)
            except Exception:
                pass


def _tag(cls):
    # Looking up a missing attribute goes through the type cache, which
    # gives the class a version tag to watch.
    getattr(cls, "_faas_no_such_attribute", None)


def _restore_classes(changed):
    # changed: indexes the tag watcher found modified, read before the reset
    # (the watcher re-reads their tags afterwards).
    for i in changed or ():
        cls, saved = _classes[i]
        _restore_class(cls, saved)
        _tag(cls)
    for i in _untagged:
        cls, saved = _classes[i]
        if dict(cls.__dict__) != saved:
            _restore_class(cls, saved)


def _words(ids):
    # As one bytes object: JS reads it in one conversion, where a list
    # converts item by item (~1k items, a few ms in a fresh worker).
    return b"".join(i.to_bytes(4, "little") for i in ids)


# Taken by prepare(), so they are in the memory snapshot: a restored
# interpreter has the very same addresses.
_class_words = b""
_dict_words = b""


def class_ids():
    """Addresses of the tracked classes, for the tag watcher, as 32-bit
    little-endian words."""
    return _class_words


_canary = {}


def dict_ids():
    """Addresses of the dicts the dict watcher watches (the module dicts,
    sys.modules and os.environ's data), then last of a canary dict only
    touch_canary() changes, as 32-bit little-endian words."""
    return _dict_words


def touch_canary():
    _canary["t"] = not _canary.get("t")


def watch_classes(tagged):
    """Tells which classes have no version tag (a byte per class, 0 for
    none), once the tag watcher has read every class's tag; those are
    compared in full."""
    global _untagged
    _untagged = [i for i, ok in enumerate(tagged.to_bytes()) if not ok]


def _return_val(value):
    """Set the run's ret_val explicitly."""
    _state.ret = value


def _sleep(seconds):
    # time.sleep would block the worker beyond the interrupt's reach: wait on
    # the interrupt buffer instead so a soft stop lands within milliseconds.
    seconds = float(seconds)
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if _wait_ms(seconds * 1000.0):
        raise KeyboardInterrupt


_wait_ms = None
_interrupted = None


def prepare(home):
    """Patch what must be patched, then snapshot the interpreter. Touches
    nothing of JavaScript, so a memory snapshot can be taken right after."""
    global _snapshot, _streams, _class_words, _dict_words
    import time
    time.sleep = _sleep
    os.chdir(home)
    # A fixed, documented environment: nothing of the build or the host,
    # but Pyodide's library search path, which loading compiled packages needs.
    libraries = os.environ.get("LD_LIBRARY_PATH")
    os.environ.clear()
    os.environ.update(
        HOME=home, PWD=home, LANG="C.UTF-8", PATH="/usr/local/bin:/usr/bin:/bin",
        USER="sandbox", LOGNAME="sandbox",
    )
    if libraries is not None:
        os.environ["LD_LIBRARY_PATH"] = libraries
    _streams = (sys.stdout, sys.stderr)
    modules = dict(sys.modules)
    seen = set()
    for m in modules.values():
        for value in list(getattr(m, "__dict__", {}).values()):
            if isinstance(value, type) and value.__flags__ & _HEAPTYPE and id(value) not in seen:
                seen.add(id(value))
                _tag(value)
                _classes.append((value, dict(value.__dict__)))
    _snapshot = (
        modules,
        # The harness's own state is not reset between runs.
        [
            (m.__dict__, dict(m.__dict__))
            for name, m in modules.items()
            if hasattr(m, "__dict__") and name != "_faas_harness"
        ],
        list(sys.path),
        dict(os.environ),
        home,
        sys.getrecursionlimit(),
    )
    _dicts_by_id.update((id(d), (d, saved)) for d, saved in _snapshot[1])
    _class_words = _words(id(cls) for cls, _ in _classes)
    watched = [id(d) for d, _ in _snapshot[1]]
    watched += [id(_modules_dict), id(_environ_data), id(_canary)]
    _dict_words = _words(watched)


def rebaseline(home):
    """Take the state reset() returns to again, after modules were imported
    at instance start (compiled packages, which no snapshot can hold)."""
    global _classes, _dicts_by_id
    _classes = []
    _dicts_by_id = {}
    prepare(home)


def _is_extension(module):
    loader = getattr(getattr(module, "__spec__", None), "loader", None)
    return isinstance(loader, _ExtensionFileLoader)


# Submodules of kept packages (dotted names), as of the last reset.
_kept_names = []


def _kept_packages(names):
    """Top-level packages among the modules named that hold a compiled
    module. A compiled module cannot be initialised twice in one process
    (numpy refuses to), so once a run imported one, its whole package stays
    imported: keeping the compiled module alone would leave a re-imported
    parent without it, and Python code holding stale references."""
    current = _modules_dict
    return {n.partition(".")[0] for n in names if _is_extension(current.get(n))}


def connect(wait_ms, interrupted):
    """Hand over the JavaScript side: the interruptible wait and the check
    whether the host is interrupting the run."""
    global _wait_ms, _interrupted
    _wait_ms = wait_ms
    _interrupted = interrupted
    # Every interpreter restored from one snapshot would otherwise start
    # with the same random state.
    _reseed()
    # Runs enter through a stack switch, which puts back the context they
    # started in: a context decimal made on its first use inside a run would
    # go with that run. Made here, it is the one every run shares, as in a
    # plain interpreter (a session keeps its precision).
    if "decimal" in sys.modules:
        sys.modules["decimal"].getcontext()
` + PYTHON_HARNESS_RUN;
