/** Innocent traffic to run alongside attacks and faults. */
import type { TestServer } from "./server.ts";

/** Runs small Python and JS programs until stopped; collects failures. */
export function innocentTraffic(
  server: TestServer,
): { stop: () => Promise<{ runs: number; failures: string[] }> } {
  let running = true;
  let runs = 0;
  const failures: string[] = [];
  const loop = async (language: string, code: string, expected: string) => {
    while (running) {
      const n = Math.floor(Math.random() * 1000);
      const { status, body } = await server.run({ language, code, input: n, priority: "high" });
      runs++;
      const want = expected.replace("N", String(n + 1));
      if (status !== 200 || body.metadata.status !== "success" || body.output.ret_val !== want) {
        failures.push(`${language}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = [
    loop("python", "INPUT + 1", "N"),
    loop("javascript", "return INPUT + 1", "N"),
  ];
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { runs, failures };
    },
  };
}
