/** The service's version, reported by /health: deno.json's `version`. */
import denoJson from "../deno.json" with { type: "json" };

/** The service's version. */
export const VERSION: string = denoJson.version;
