/**
 * The Python harness as the worker's JavaScript sees it: the functions it
 * calls through Pyodide's proxies and how their values cross over.
 */

/** The harness module (`_faas_harness`) as the worker calls it. */
export interface Harness {
  /** The class guard's tag offset, as probed when the snapshot was made. */
  _class_tag_offset?: number;
  connect(wait: unknown, interrupted: unknown): void;
  compile_source(source: string): unknown;
  start: StartRun;
  reset(everything: boolean, changed: number[] | null, classes: number[] | null): void;
  /** The watched dicts' addresses, then the canary's, as bytes (see {@linkcode words}). */
  dict_ids(): PyProxyLike;
  touch_canary(): void;
  flush(): void;
  /** The tracked classes' addresses, as bytes (see {@linkcode words}). */
  class_ids(): PyProxyLike;
  /** A byte per tracked class: 1 when it has a version tag. */
  watch_classes(tagged: Uint8Array): void;
}

/** The harness's `start`: a Python function, callable through a stack switch when the engine can. */
export interface StartRun {
  (...args: StartArgs): PyProxyLike;
  /** Present when WebAssembly stack switching (JSPI) is available. */
  callPromising?: (...args: StartArgs) => Promise<PyProxyLike>;
}

/** What `start` takes: the compiled code, the run's input and how to run it. */
export type StartArgs = readonly [
  code: PyProxyLike | null,
  input: string,
  stdin: string,
  argv: string,
  files: boolean,
  session: boolean,
];

/** A Pyodide proxy, as far as the worker uses one. */
export interface PyProxyLike {
  type: string;
  toJs(): unknown;
  destroy(): void;
  then?: unknown;
}

/**
 * The 32-bit little-endian words (CPython addresses on wasm32) of a Python
 * `bytes` object the harness returned; frees the proxy.
 */
export function words(proxy: PyProxyLike): number[] {
  const bytes = proxy.toJs() as Uint8Array;
  proxy.destroy();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.byteLength >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}
