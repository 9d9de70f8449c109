/**
 * A small typed client for Deno and Node callers. Self-contained (no
 * imports): use it from Deno by path or URL, or from Node 18+ as the
 * JavaScript `deno task build:client` emits (with `.d.ts`). Retries only on
 * 429 and 503, honouring `Retry-After`.
 *
 * ```ts
 * const sandbox = new SandboxClient({ baseUrl: "http://127.0.0.1:8000", apiKey: "s3cret" });
 * const { output, metadata } = await sandbox.run({ language: "python", code: "1 + 1" });
 * ```
 */

/** Languages and their accepted aliases. */
export type Language =
  | "python"
  | "py"
  | "python3"
  | "javascript"
  | "js"
  | "node"
  | "typescript"
  | "ts";

/** The body of POST /run_code. */
export interface RunRequest {
  language: Language;
  code: string;
  /** Milliseconds; clamped by the server to its maximum. */
  timeout?: number;
  priority?: "urgent" | "high" | "normal" | "low";
  /** Any JSON; the code sees it as the global INPUT. */
  input?: unknown;
  stdin?: string;
  /** Command-line arguments: sys.argv[1:] in Python, process.argv.slice(2) in JS/TS. */
  args?: string[];
  /** Files placed in the run's working directory (modules to import, data to read). */
  files?: { name: string; content: string; encoding?: "utf-8" | "base64" }[];
  /** Glob patterns of files the run leaves in its directory to hand back in `files`. */
  return_files?: string[];
  /** Who the run is for (1-128 printable ASCII characters). */
  tenant?: string;
}

/** The 200 response of POST /run_code (checked against the server's schema by a test). */
export interface RunResponse {
  output: {
    stdout: string;
    stderr: string;
    /** The return value as text; "" when none. */
    ret_val: string;
    /** The return value as JSON; absent when none or not serializable. */
    ret_json?: unknown;
  };
  metadata: {
    task_id: string;
    instance_id: string;
    instance_source: "warm" | "spare" | "new";
    language: "python" | "javascript" | "typescript";
    status:
      | "success"
      | "error"
      | "timeout"
      | "memory_limit"
      | "killed"
      | "cancelled"
      | "client_gone";
    /** Run time inside the sandbox, whole ms. */
    duration: number;
    /** Run time inside the sandbox, ms, to the microsecond. */
    duration_ms: number;
    queue_ms: number;
    exit_code: number;
    truncated: boolean;
    timeout_ms: number;
    timeout_clamped: boolean;
    pool_stats: { totalInstances: number; idleInstances: number; activeInstances: number };
    cpu_ms?: number;
    memory_peak_bytes?: number;
    ignored_fields: string[];
    exception?: { type: string; message: string; compile?: true };
    /** With `files`: whether matching files were left out for the caps. */
    files_truncated?: boolean;
    /** The matching files left out, by name. */
    files_omitted?: string[];
  };
  /** For a request with `return_files`: the matching files, by name. */
  files?: { name: string; size: number; content_base64: string }[];
  /** Only for timeout, memory_limit and killed. */
  error?: string;
}

/** How a run ended. */
export type RunStatus = RunResponse["metadata"]["status"];

/** A non-200 answer from the service. */
export class SandboxError extends Error {
  override name = "SandboxError";
  /** HTTP status. */
  readonly status: number;
  /** Field-level problems, for 400. */
  readonly details: { field: string; message: string }[];

  constructor(status: number, message: string, details: { field: string; message: string }[]) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

/** Client options. */
export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  /** Retries after 429/503 (default 3). */
  retries?: number;
  /** Longest wait between retries, ms (default 10 000). */
  maxRetryDelayMs?: number;
  /** For tests and custom transports. */
  fetch?: typeof fetch;
}

/** Talks to one sandbox service. */
export class SandboxClient {
  #opts: Required<Omit<ClientOptions, "apiKey">> & { apiKey?: string };

  constructor(options: ClientOptions) {
    this.#opts = {
      retries: 3,
      maxRetryDelayMs: 10_000,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
    };
  }

  /** Runs code; resolves with the response whatever the code did. */
  async run(request: RunRequest, init: { signal?: AbortSignal } = {}): Promise<RunResponse> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.#opts.apiKey) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    for (let attempt = 0;; attempt++) {
      const res = await this.#opts.fetch(`${this.#opts.baseUrl}/run_code`, {
        method: "POST",
        headers,
        body: JSON.stringify(request),
        signal: init.signal,
      });
      if (res.ok) return await res.json() as RunResponse;
      const retryable = res.status === 429 || res.status === 503;
      if (retryable && attempt < this.#opts.retries) {
        await res.body?.cancel();
        await sleep(this.#retryDelay(res.headers.get("retry-after"), attempt), init.signal);
        continue;
      }
      const body = await res.json().catch(() => ({})) as {
        error?: string;
        details?: { field: string; message: string }[];
      };
      throw new SandboxError(res.status, body.error ?? `HTTP ${res.status}`, body.details ?? []);
    }
  }

  /** The service's /health document. */
  async health(): Promise<{ status: string; [key: string]: unknown }> {
    const res = await this.#opts.fetch(`${this.#opts.baseUrl}/health`);
    return await res.json();
  }

  #retryDelay(retryAfter: string | null, attempt: number): number {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 250 * 2 ** attempt;
    return Math.min(ms, this.#opts.maxRetryDelayMs);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
