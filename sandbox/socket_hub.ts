/**
 * The server's end of the host channel: one private Unix socket that every
 * host connects to. A host proves which one it is with the random token it
 * was started with; a connection with no valid token is dropped.
 */
import { LineWriter, readLines } from "../protocol/ndjson.ts";
import type { HostMessage } from "../protocol/host_messages.ts";

/** A host's connection once it said hello. */
export interface HostConnection {
  messages: AsyncGenerator<string>;
  writer: LineWriter;
  close(): void;
}

/** Accepts host connections and routes each to the instance that awaits it. */
export class SocketHub {
  readonly path: string;
  /** The private directory holding the socket (and the Python snapshot). */
  readonly dir: string;
  #listener: Deno.Listener;
  #waiting = new Map<string, (conn: HostConnection) => void>();

  private constructor(dir: string, listener: Deno.Listener) {
    this.dir = dir;
    this.path = `${dir}/hosts.sock`;
    this.#listener = listener;
    this.#accept();
  }

  /** Creates the socket in a new private temp directory. */
  static open(): SocketHub {
    const dir = Deno.makeTempDirSync({ prefix: "faas-" });
    Deno.chmodSync(dir, 0o700);
    const listener = Deno.listen({ transport: "unix", path: `${dir}/hosts.sock` });
    return new SocketHub(dir, listener);
  }

  /** Waits for the host holding `token` to connect. */
  expect(token: string): Promise<HostConnection> {
    return new Promise((resolve) => this.#waiting.set(token, resolve));
  }

  /** Stops waiting for `token` (its host died before connecting). */
  forget(token: string): void {
    this.#waiting.delete(token);
  }

  async #accept(): Promise<void> {
    for await (const conn of this.#listener) this.#greet(conn);
  }

  async #greet(conn: Deno.Conn): Promise<void> {
    const messages = readLines(conn);
    const close = () => {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    };
    try {
      const first = await messages.next();
      const hello = first.done ? undefined : JSON.parse(first.value) as HostMessage;
      const resolve = hello?.t === "hello" ? this.#waiting.get(hello.token) : undefined;
      if (!resolve || hello?.t !== "hello") return close();
      this.#waiting.delete(hello.token);
      resolve({ messages, writer: new LineWriter(conn, close), close });
    } catch {
      close();
    }
  }

  /** Closes the socket and removes its directory. */
  close(): void {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    Deno.removeSync(this.dir, { recursive: true });
  }
}
