import assert from "node:assert/strict";
import { aboutBody, configInfo, JUDGE0_API_VERSION } from "./judge0_system.ts";

/** Judge0 CE's configuration fields and their JSON types, as its SDKs read them. */
const CONFIG_FIELDS: Record<string, "bool" | "int" | "float" | "strings"> = {
  allow_enable_network: "bool",
  allow_enable_per_process_and_thread_memory_limit: "bool",
  allow_enable_per_process_and_thread_time_limit: "bool",
  allowed_languages_for_compile_options: "strings",
  callbacks_max_tries: "int",
  callbacks_timeout: "float",
  cpu_extra_time: "float",
  cpu_time_limit: "float",
  enable_additional_files: "bool",
  enable_batched_submissions: "bool",
  enable_callbacks: "bool",
  enable_command_line_arguments: "bool",
  enable_compiler_options: "bool",
  enable_network: "bool",
  enable_per_process_and_thread_memory_limit: "bool",
  enable_per_process_and_thread_time_limit: "bool",
  enable_submission_delete: "bool",
  enable_wait_result: "bool",
  maintenance_mode: "bool",
  max_cpu_extra_time: "float",
  max_cpu_time_limit: "float",
  max_extract_size: "int",
  max_file_size: "int",
  max_max_file_size: "int",
  max_max_processes_and_or_threads: "int",
  max_memory_limit: "int",
  max_number_of_runs: "int",
  max_processes_and_or_threads: "int",
  max_queue_size: "int",
  max_stack_limit: "int",
  max_submission_batch_size: "int",
  max_wall_time_limit: "float",
  memory_limit: "int",
  number_of_runs: "int",
  redirect_stderr_to_stdout: "bool",
  stack_limit: "int",
  submission_cache_duration: "float",
  use_docs_as_homepage: "bool",
  wall_time_limit: "float",
};

const limits = {
  defaultTimeoutMs: 5000,
  maxTimeoutMs: 60_000,
  memoryLimitBytes: 256 * 2 ** 20,
  maxOutputBytes: 1 << 20,
  maxUnpackedBytes: 10 << 20,
  maxBatch: 20,
  maxQueue: 1000,
};

Deno.test("Judge0 configuration and about answers", async (t) => {
  await t.step("config_info has every field Judge0 answers with, each of its type", () => {
    const info = configInfo(limits);
    assert.deepEqual(Object.keys(info).sort(), Object.keys(CONFIG_FIELDS).sort());
    for (const [field, type] of Object.entries(CONFIG_FIELDS)) {
      const value = info[field];
      if (type === "bool") assert.equal(typeof value, "boolean", field);
      else if (type === "int") assert.ok(Number.isInteger(value), `${field}: ${value}`);
      else if (type === "float") assert.equal(typeof value, "number", field);
      else assert.ok(Array.isArray(value) && value.every((v) => typeof v === "string"), field);
    }
  });
  await t.step("limits are the service's own, in Judge0's units", () => {
    const info = configInfo(limits);
    assert.equal(info.cpu_time_limit, 5);
    assert.equal(info.max_wall_time_limit, 60);
    assert.equal(info.memory_limit, 262_144);
    assert.equal(info.max_file_size, 1024);
    assert.equal(info.max_extract_size, 10_240);
    assert.equal(info.max_submission_batch_size, 20);
    assert.equal(info.max_queue_size, 1000);
    assert.equal(info.enable_network, false);
    assert.equal(info.enable_submission_delete, false);
  });
  await t.step("about names the Judge0 API version whose language ids it answers with", () => {
    const about = aboutBody("http://127.0.0.1:8000/docs", "faas 1.0.0");
    assert.equal(about.version, JUDGE0_API_VERSION);
    assert.deepEqual(Object.keys(about).sort(), [
      "homepage",
      "maintainer",
      "source_code",
      "version",
    ]);
  });
});
