/** Calls on the session routes of a test server, loosely typed for assertions. */

/** A response: its status and parsed JSON body (null for none). */
export interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A client for one server, as one API key (or none). */
export function sessionClient(url: string, key?: string) {
  const headers = (extra: Record<string, string> = {}) => ({
    "content-type": "application/json",
    ...(key !== undefined && { authorization: `Bearer ${key}` }),
    ...extra,
  });
  async function call(method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  return {
    call,
    create: (language: string, extra: Record<string, unknown> = {}) =>
      call("POST", "/sessions", { language, ...extra }),
    run: (id: string, code: string, extra: Record<string, unknown> = {}) =>
      call("POST", `/sessions/${id}/run`, { code, ...extra }),
    get: (id: string) => call("GET", `/sessions/${id}`),
    list: () => call("GET", "/sessions"),
    remove: (id: string) => call("DELETE", `/sessions/${id}`),
  };
}
