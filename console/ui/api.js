// The console's one way to the service: the documented admin API, with the
// key kept for this tab only (sessionStorage), sent as a bearer token.

const STORE = "faas-console-key";

/** The signed-in key, or null. */
export function currentKey() {
  return sessionStorage.getItem(STORE);
}

/** Keeps `key` for this tab. */
export function signIn(key) {
  sessionStorage.setItem(STORE, key);
}

/** Forgets the key. */
export function signOut() {
  sessionStorage.removeItem(STORE);
}

/** An error answer of the API: its status, message and the fields at fault. */
export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details ?? [];
  }
}

/**
 * Calls the API. `body` goes as JSON; the answer comes back parsed (JSON)
 * or as text; a non-2xx answer throws ApiError with the service's message.
 */
export async function api(path, { method = "GET", body, accept } = {}) {
  const headers = { authorization: `Bearer ${currentKey() ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (accept) headers.accept = accept;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get("content-type") ?? "";
  const data = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const message = typeof data === "object" && data ? data.error ?? data.message : data;
    throw new ApiError(res.status, String(message || res.statusText), data?.details);
  }
  return data;
}

/** Saves `text` as a file the browser downloads. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
