/**
 * Source of standard input as Node programs read it, for the JS prelude:
 * `process.stdin` as a stream (`data`, `end` and `close` events, `readable`
 * and `read()`, async iteration) and `readline` (`createInterface` with
 * `line` and `close` events, `question`, async iteration over lines; also
 * `readline/promises`). Programs written for judges read stdin this way.
 *
 * Built inside the run's own context from its intrinsics, like the rest of
 * the prelude, and only when a run first touches them. Input arrives as a
 * Node process would see it: after the code that listens has run, from a
 * macrotask, all of it in one chunk (stdin is text: chunks are strings).
 * The run waits for that delivery, and for promises its listeners return,
 * before it ends, so a program whose answer is printed from an `end` or
 * `close` listener is answered in full.
 *
 * Evaluates to `makeStdin(text, later, writeOut, fail)`, which returns
 * `{ stdin, readline, readlinePromises, settled }`:
 * - `later(fn)` runs `fn` from a macrotask (the run's own timers);
 * - `writeOut(text)` writes to the run's stdout (readline's prompts);
 * - `fail(error)` ends the run for an error thrown by a listener, as an
 *   error escaping a timer does;
 * - `settled(fn)` calls `fn` once no delivery is pending (at once if none).
 */
export const JS_STDIN_SOURCE = String.raw`(function makeStdin(text, later, writeOut, fail) {
  const StringCtor = String;
  const TypeErrorCtor = TypeError;
  const ErrorCtor = Error;
  const then = Promise.prototype.then;
  const resolved = Promise.resolve();
  let open = 0;
  let waiters = [];
  const idle = () => {
    if (open > 0) return;
    const ready = waiters;
    waiters = [];
    for (const fn of ready) fn();
  };
  // One delivery in flight: the run waits for it, and for the promises
  // its listeners returned, before it ends.
  function deliver(body) {
    open++;
    const returned = [];
    later(() => {
      let finished = false;
      try {
        body(returned);
        finished = true;
      } catch (e) {
        fail(e);
      }
      if (!finished) return;
      let left = returned.length;
      const one = () => {
        if (--left <= 0) { open--; idle(); }
      };
      if (left === 0) { open--; idle(); return; }
      for (const p of returned) then.call(then.call(resolved, () => p), one, (e) => fail(e));
    });
  }

  function emitter(target, onListen) {
    const listeners = new Map();
    const add = (event, fn, once, first) => {
      if (typeof fn !== "function") throw new TypeErrorCtor("The listener must be a function");
      const list = listeners.get(event) || [];
      if (first) list.unshift({ fn, once }); else list.push({ fn, once });
      listeners.set(event, list);
      onListen(StringCtor(event));
      return target;
    };
    target.on = target.addListener = (event, fn) => add(event, fn, false, false);
    target.once = (event, fn) => add(event, fn, true, false);
    target.prependListener = (event, fn) => add(event, fn, false, true);
    target.prependOnceListener = (event, fn) => add(event, fn, true, true);
    target.off = target.removeListener = (event, fn) => {
      const list = listeners.get(event);
      if (list) {
        const i = list.findIndex((l) => l.fn === fn);
        if (i >= 0) list.splice(i, 1);
      }
      return target;
    };
    target.removeAllListeners = (event) => {
      if (event === undefined) listeners.clear(); else listeners.delete(event);
      return target;
    };
    target.listenerCount = (event) => (listeners.get(event) || []).length;
    target.emit = (event, ...args) => target.emitInto(undefined, event, ...args);
    // Emits, collecting promises the listeners return into "returned".
    target.emitInto = (returned, event, ...args) => {
      const list = listeners.get(event);
      if (!list || !list.length) return false;
      for (const l of list.slice()) {
        if (l.once) target.removeListener(event, l.fn);
        const r = l.fn.apply(target, args);
        if (returned && r && typeof r.then === "function") returned.push(r);
      }
      return true;
    };
    return target;
  }

  // process.stdin: the whole input as one chunk, then end and close.
  let stdinScheduled = false;
  let unread = true;
  const stdin = emitter({
    fd: 0,
    readable: true,
    readableEncoding: null,
    setEncoding(encoding) { stdin.readableEncoding = encoding === undefined ? "utf8" : StringCtor(encoding); return stdin; },
    resume() { flow(); return stdin; },
    pause() { return stdin; },
    isPaused: () => false,
    unref() { return stdin; },
    ref() { return stdin; },
    read() {
      if (!unread || text === "") return null;
      unread = false;
      return text;
    },
    [Symbol.asyncIterator]: async function* () {
      if (text !== "") yield text;
    },
  }, (event) => {
    if (event === "data" || event === "end" || event === "readable" || event === "close") flow();
  });
  function flow() {
    if (stdinScheduled) return;
    stdinScheduled = true;
    deliver((returned) => {
      if (stdin.listenerCount("readable")) stdin.emitInto(returned, "readable");
      if (unread && text !== "" && stdin.listenerCount("data")) {
        unread = false;
        stdin.emitInto(returned, "data", text);
      }
      stdin.readable = false;
      stdin.emitInto(returned, "end");
      stdin.emitInto(returned, "close");
    });
  }

  function splitLines() {
    const lines = text.split(/\r?\n/);
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    return lines;
  }

  // readline: lines of the input to "line" listeners and questions, then close.
  function createInterface(promises, input, output) {
    const options = input && typeof input === "object" && "input" in input ? input : { input, output };
    if (options.input !== stdin) {
      throw new TypeErrorCtor("readline reads process.stdin only here: createInterface({ input: process.stdin })");
    }
    const lines = splitLines();
    let next = 0;
    let closed = false;
    let scheduled = false;
    let prompt = "> ";
    // Each question waits for its line: [answer, fail].
    const questions = [];
    const rl = emitter({
      terminal: false,
      line: "",
      get closed() { return closed; },
      close() { closeInto(undefined); },
      question(query, options, callback) {
        if (typeof options === "function") callback = options;
        if (closed) {
          const error = new ErrorCtor("readline was closed");
          if (promises) return Promise.reject(error);
          throw error;
        }
        writeOut(StringCtor(query));
        if (promises) {
          return new Promise((resolve, reject) => { questions.push([resolve, reject]); schedule(); });
        }
        if (typeof callback !== "function") throw new TypeErrorCtor("The callback must be a function");
        questions.push([callback, () => {}]);
        schedule();
      },
      setPrompt(p) { prompt = StringCtor(p); },
      getPrompt: () => prompt,
      prompt() { writeOut(prompt); },
      write() {},
      pause() { return rl; },
      resume() { return rl; },
      [Symbol.asyncIterator]() {
        return {
          next: async () => {
            if (!closed && next < lines.length) return { value: lines[next++], done: false };
            rl.close();
            return { value: undefined, done: true };
          },
          return: async () => { rl.close(); return { value: undefined, done: true }; },
          [Symbol.asyncIterator]() { return this; },
        };
      },
    }, (event) => {
      if (event === "line" || event === "close") schedule();
    });
    // Closes once; "returned" collects what close listeners return.
    function closeInto(returned) {
      if (closed) return;
      closed = true;
      for (const [, reject] of questions.splice(0)) reject(new ErrorCtor("readline was closed"));
      rl.emitInto(returned, "close");
    }
    function schedule() {
      if (scheduled || closed) return;
      scheduled = true;
      deliver(function pump(returned) {
        while (!closed && next < lines.length) {
          const line = lines[next++];
          if (questions.length) {
            questions.shift()[0](line);
            // Its answer may ask the next question only once it has run:
            // go on from a later macrotask.
            if (next < lines.length) { deliver(pump); return; }
          } else {
            rl.emitInto(returned, "line", line);
          }
        }
        closeInto(returned);
      });
    }
    return rl;
  }
  const readline = { createInterface: (input, output) => createInterface(false, input, output) };
  const readlinePromises = { createInterface: (input, output) => createInterface(true, input, output) };

  return {
    stdin,
    readline,
    readlinePromises,
    settled(fn) {
      if (open === 0) fn(); else waiters.push(fn);
    },
  };
})`;
