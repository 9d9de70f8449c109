/// <reference lib="deno.worker" />
/**
 * Worker entry of the host's start-up check of a link plan
 * (link_plan_probe.ts): posts `{ plan }` when the plan reproduces the
 * stock link, `{ error }` otherwise. The host terminates it either way:
 * the two runtimes it made serve nothing else.
 */
import { probeLinkPlan, type ProbeOptions } from "./link_plan_probe.ts";

self.onmessage = async (event: MessageEvent<ProbeOptions>) => {
  self.onmessage = null;
  try {
    self.postMessage({ plan: await probeLinkPlan(event.data) });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
