/**
 * One instance: a worker inside a host process, with its own isolate, realm,
 * wasm memory and filesystem. It serves runs of one isolation key only; a
 * spare has no key yet and takes the key of the first run it is given.
 */
/** Lifecycle state of an instance. */
export type InstanceState = "starting" | "idle" | "busy" | "gone";

/**
 * A worker of a host, bound to at most one isolation key for its life. `H`
 * is its host's type (host.ts's `HostedInstance`): this module knows of a
 * host only its id.
 */
export class Instance<H extends { readonly id: string } = { readonly id: string }> {
  /** Worker id within its host. */
  readonly wid: number;
  /** `<host id>/<worker id>`, as reported in responses. */
  readonly id: string;
  readonly host: H;
  state: InstanceState = "starting";
  /** The isolation key it serves; undefined while it is a spare. */
  key?: string;
  /** Runs it finished. */
  runs = 0;
  /** performance.now() of its last use (or its start). */
  lastUsed = performance.now();
  /** Set when it must take no further runs (its worker asked to retire). */
  retiring = false;
  /** The name of its worker's thread, when its host told it. */
  thread?: string;
  /** Set once its thread runs at the lowest priority (for the rest of its life). */
  demoted = false;
  /** When it was asked for (performance.now()). */
  readonly createdAt = performance.now();
  /** Resolves when the worker is ready; rejects if it never gets there. */
  readonly ready: Promise<void>;
  #settle!: { resolve: () => void; reject: (err: Error) => void };

  constructor(host: H, wid: number) {
    this.host = host;
    this.wid = wid;
    this.id = `${host.id}/${wid}`;
    this.ready = new Promise((resolve, reject) => this.#settle = { resolve, reject });
    // Callers that never wait for it still must not see an unhandled rejection.
    this.ready.catch(() => {});
  }

  /** Marks it ready (an idle spare or, if already bound, idle for its key). */
  markReady(): void {
    if (this.state !== "starting") return;
    this.state = "idle";
    this.lastUsed = performance.now();
    this.#settle.resolve();
  }

  /** Marks it gone; a start still pending fails with `reason`. */
  markGone(reason: string): void {
    if (this.state === "gone") return;
    this.state = "gone";
    this.#settle.reject(new Error(reason));
  }
}
