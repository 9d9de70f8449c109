/**
 * Entry point: reads the configuration, starts the pools and serves HTTP.
 * SIGTERM/SIGINT drain in-flight runs, stop the hosts and exit 0.
 */
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { createService } from "./service.ts";

let config: Config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  Deno.exit(1);
}

const service = createService(config);
const server = Deno.serve({
  hostname: config.host,
  port: config.port,
  onListen: ({ hostname, port }) => console.log(`Listening on http://${hostname}:${port}`),
}, service.app.fetch);

service.ready().then(() => console.log("All runtimes warm; ready"));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal} received; draining for up to ${config.shutdownGraceMs} ms`);
  await service.shutdown(config.shutdownGraceMs);
  await server.shutdown();
  console.log("Stopped");
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
