/**
 * A new host's first words: it connects to the server's socket with its
 * token and says it is up. Anything else, or nothing in time, is a failed
 * start.
 */
import type { HostMessage } from "../protocol/host_messages.ts";
import type { HostConnection, SocketHub } from "./socket_hub.ts";

/**
 * Waits for the host holding `token` to connect through `hub` and say it is
 * up; rejects after `timeoutMs`, or once `exited` settles (the process is
 * gone), whichever comes first.
 */
export async function hostUp(
  hub: SocketHub,
  token: string,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<HostConnection> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("Host did not become ready in time")), timeoutMs);
  });
  const died = exited.then(() => {
    throw new Error("Host exited before it was ready");
  });
  let conn: HostConnection | undefined;
  try {
    conn = await Promise.race([hub.expect(token), timeout, died]);
    const first = await Promise.race([conn.messages.next(), timeout, died]);
    if (first.done) throw new Error("Host closed its socket before it was ready");
    if ((JSON.parse(first.value) as HostMessage).t !== "up") {
      throw new Error("Host sent something other than up");
    }
    return conn;
  } catch (err) {
    conn?.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
