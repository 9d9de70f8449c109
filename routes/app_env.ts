/** The Hono environment every route shares. */
import type { RequestSpan } from "../tracing/tracer.ts";
import type { Principal } from "../admin/types.ts";

/** Hono environment of the app: the request id set by its middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    keyId?: string;
    /** The calling key's role and tenant, when keys are in use. */
    principal?: Principal;
    span: RequestSpan;
    /**
     * For a run that outlives its handler (a stream): takes over ending the
     * key's run in progress, returning what to call when the run settles.
     */
    holdRun?: () => () => void;
  };
}
