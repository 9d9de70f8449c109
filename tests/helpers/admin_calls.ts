/** Calling the admin API as the dead-letter, retention and settings tests do. */

/** Calls `/api/v1` of `server` as `key`. */
export function adminApi(server: { url: string }, key: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // The body as parsed (null for none): each test reads the fields it asserts on.
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    get: (path: string) => call("GET", path),
    post: (path: string, body: unknown = {}) => call("POST", path, body),
    put: (path: string, body: unknown) => call("PUT", path, body),
    delete: (path: string) => call("DELETE", path),
    /** Makes a key with the admin API; its secret. */
    async makeKey(tenant: string, role: string): Promise<string> {
      const made = await call("POST", "/keys", { tenant, role, name: `${role} of ${tenant}` });
      if (made.status !== 201) throw new Error(`key not made: ${JSON.stringify(made.body)}`);
      return made.body.key;
    },
  };
}
