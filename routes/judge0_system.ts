/**
 * Judge0's `GET /about` and `GET /config_info`: what the service says about
 * itself to Judge0 clients. Judge0's SDKs read both when they connect (the
 * configuration to build their client, the version to map language names
 * to ids), so every field Judge0 CE 1.13.1 answers with is here, with its
 * JSON type, and each value says what this service actually does: limits it
 * does not set per run report the instance's own, features it lacks are
 * off.
 */

/** The Judge0 CE API version whose routes and language ids this service answers with. */
export const JUDGE0_API_VERSION = "1.13.1";

/** What the configuration answer is made from. */
export interface Judge0Limits {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Memory an instance may use, bytes. */
  memoryLimitBytes: number;
  /** Cap on each of a run's stdout and stderr, bytes. */
  maxOutputBytes: number;
  /** Most bytes `additional_files` may unpack to. */
  maxUnpackedBytes: number;
  /** Most submissions in one batch. */
  maxBatch: number;
  /** Most runs waiting in the queue. */
  maxQueue: number;
}

/**
 * `GET /about`: Judge0's four fields, about this service: the Judge0 API
 * version it answers as, its documentation, and its own name and version.
 */
export function aboutBody(homepage: string, service: string): Record<string, string> {
  return {
    version: JUDGE0_API_VERSION,
    homepage,
    source_code: homepage,
    maintainer: service,
  };
}

const kilobytes = (bytes: number) => Math.floor(bytes / 1024);
const seconds = (ms: number) => ms / 1000;

/** `GET /config_info`: Judge0's configuration fields, as this service behaves. */
export function configInfo(limits: Judge0Limits): Record<string, boolean | number | string[]> {
  const memoryKb = kilobytes(limits.memoryLimitBytes);
  const outputKb = kilobytes(limits.maxOutputBytes);
  return {
    maintenance_mode: false,
    enable_wait_result: true,
    enable_compiler_options: false,
    allowed_languages_for_compile_options: [],
    enable_command_line_arguments: true,
    enable_submission_delete: false,
    enable_callbacks: false,
    callbacks_max_tries: 0,
    callbacks_timeout: 0,
    enable_additional_files: true,
    max_queue_size: limits.maxQueue,
    // The run's timeout: it bounds wall time, which bounds its CPU time.
    cpu_time_limit: seconds(limits.defaultTimeoutMs),
    max_cpu_time_limit: seconds(limits.maxTimeoutMs),
    cpu_extra_time: 0,
    max_cpu_extra_time: 0,
    wall_time_limit: seconds(limits.defaultTimeoutMs),
    max_wall_time_limit: seconds(limits.maxTimeoutMs),
    // An instance's memory bounds its heap and stack alike.
    memory_limit: memoryKb,
    max_memory_limit: memoryKb,
    stack_limit: memoryKb,
    max_stack_limit: memoryKb,
    // One interpreter thread; no process can be started.
    max_processes_and_or_threads: 1,
    max_max_processes_and_or_threads: 1,
    enable_per_process_and_thread_time_limit: false,
    allow_enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    allow_enable_per_process_and_thread_memory_limit: false,
    // What a run may write: each of stdout and stderr is capped at this.
    max_file_size: outputKb,
    max_max_file_size: outputKb,
    number_of_runs: 1,
    max_number_of_runs: 1,
    redirect_stderr_to_stdout: false,
    max_extract_size: kilobytes(limits.maxUnpackedBytes),
    enable_batched_submissions: true,
    max_submission_batch_size: limits.maxBatch,
    submission_cache_duration: 0,
    use_docs_as_homepage: false,
    enable_network: false,
    allow_enable_network: false,
  };
}
