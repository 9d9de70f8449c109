/** A client of the jobs API for tests: each call as a caller with fixed headers. */

/** A job as `GET /jobs/{id}` answers it, loosely typed for assertions. */
export interface JobBody {
  id: string;
  status: string;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  result: {
    output: { ret_val: string; stdout: string; stderr: string };
    metadata: { status: string; language: string; truncated: boolean; task_id: string };
  } | null;
  result_truncated: boolean;
  result_note?: string;
  error?: string;
  history: {
    attempt: number;
    started_at: string | null;
    finished_at: string;
    outcome: string;
    run_status?: string;
    error?: string;
    instance_id?: string;
  }[];
  request?: { language: string; code: string; input: unknown; timeout: number; priority: string };
}

/** Calls the jobs API of `server` with `headers` on every request (a key, a tenant). */
export function jobsApi(server: { url: string }, headers: Record<string, string> = {}) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers, ...extra },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // The body as parsed: each test reads the fields it asserts on.
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  return {
    headers,
    submit: (body: unknown, extra: Record<string, string> = {}) =>
      call("POST", "/jobs", body, extra),
    get: (id: string, wait?: number) =>
      call("GET", `/jobs/${id}${wait === undefined ? "" : `?wait=${wait}`}`),
    cancel: (id: string) => call("DELETE", `/jobs/${id}`),
    retry: (id: string) => call("POST", `/jobs/${id}/retry`),
    list: (status: string, query = "") => call("GET", `/jobs?status=${status}${query}`),
    /** `GET /jobs/{id}/events`: the response, unread. */
    events: (id: string) => fetch(`${server.url}/jobs/${id}/events`, { headers }),
    /** Long-polls until the job is finished. */
    async settle(id: string): Promise<JobBody> {
      for (let i = 0; i < 30; i++) {
        const r = await call("GET", `/jobs/${id}?wait=5`);
        if (!["queued", "running"].includes(r.body.status)) return r.body;
      }
      throw new Error(`job ${id} never finished`);
    },
  };
}
