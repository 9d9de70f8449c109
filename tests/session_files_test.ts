/**
 * Session files over HTTP: uploads the session's code reads, files its
 * code wrote downloaded, listed and deleted, limits (413), and another
 * caller's view (404).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { sessionClient } from "./helpers/sessions.ts";

Deno.test({
  name: "session files over HTTP",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_API_KEYS: "key-a,key-b",
      FAAS_SESSION_MAX_FILE_BYTES: "1000",
      FAAS_SESSION_MAX_FILES_BYTES: "1500",
    });
    const a = sessionClient(server.url, "key-a");
    const b = sessionClient(server.url, "key-b");
    const file = (id: string, path: string, method = "GET", body?: BodyInit, key = "key-a") =>
      fetch(`${server.url}/sessions/${id}/files/${path}`, {
        method,
        body,
        headers: { authorization: `Bearer ${key}` },
      });
    const list = async (id: string) => (await a.call("GET", `/sessions/${id}/files`)).body;
    try {
      for (const language of ["python", "javascript"]) {
        const id = (await a.create(language)).body.id as string;
        const read = language === "python"
          ? "open('in/data.txt').read() + str(list(open('raw.bin', 'rb').read()))"
          : 'const fs = require("fs"); return fs.readFileSync("in/data.txt", "utf8") + ' +
            'JSON.stringify([...fs.readFileSync("raw.bin")])';
        const write = language === "python"
          ? "import os\nos.makedirs('out', exist_ok=True)\nopen('out/r.txt', 'w').write('from code')"
          : 'require("fs").writeFileSync("out/r.txt", "from code")';

        await t.step(`${language}: PUT then read from code`, async () => {
          const put = await file(id, "in/data.txt", "PUT", "hello ");
          assert.equal(put.status, 201, await put.text());
          const again = await file(id, "in/data.txt", "PUT", "hello2 ");
          assert.equal(again.status, 200, await again.text());
          const raw = await file(id, "raw.bin", "PUT", new Uint8Array([0, 255, 3]));
          assert.equal(raw.status, 201, await raw.text());
          const ran = await a.run(id, read);
          assert.equal(ran.status, 200, JSON.stringify(ran.body));
          assert.equal(
            ran.body.output.ret_val,
            "hello2 [0,255,3]".replace(
              language === "python" ? "[0,255,3]" : "_",
              language === "python" ? "[0, 255, 3]" : "_",
            ),
          );
        });

        await t.step(`${language}: code writes, then GET and list`, async () => {
          const ran = await a.run(id, write);
          assert.equal(ran.body.metadata.status, "success", JSON.stringify(ran.body));
          const got = await file(id, "out/r.txt");
          assert.equal(got.status, 200);
          assert.equal(got.headers.get("content-type"), "application/octet-stream");
          assert.equal(await got.text(), "from code");
          const raw = await file(id, "raw.bin");
          assert.deepEqual([...new Uint8Array(await raw.arrayBuffer())], [0, 255, 3]);
          const listed = await list(id);
          assert.deepEqual(
            listed.files.map((f: { name: string; size: number }) => [f.name, f.size]),
            [["in/data.txt", 7], ["out/r.txt", 9], ["raw.bin", 3]],
          );
          assert.ok(Date.parse(listed.files[0].modified) > Date.now() - 60_000);
        });

        await t.step(`${language}: DELETE, then 404 naming the path`, async () => {
          const gone = await file(id, "out/r.txt", "DELETE");
          assert.equal(gone.status, 204);
          const missing = await file(id, "out/r.txt");
          assert.equal(missing.status, 404);
          assert.match((await missing.json()).error, /"out\/r\.txt"/);
          const ran = await a.run(
            id,
            language === "python"
              ? "import os\nos.path.exists('out/r.txt')"
              : 'return require("fs").existsSync("out/r.txt")',
          );
          assert.equal(ran.body.output.ret_val.toLowerCase(), "false");
          assert.equal((await file(id, "nope.txt", "DELETE")).status, 404);
        });

        await t.step(`${language}: limits answer 413 naming the limit and path`, async () => {
          const big = await file(id, "big.bin", "PUT", new Uint8Array(1001));
          assert.equal(big.status, 413);
          const message = (await big.json()).error;
          assert.match(message, /FAAS_SESSION_MAX_FILE_BYTES/);
          assert.match(message, /big\.bin/);
          assert.equal((await file(id, "a.bin", "PUT", new Uint8Array(900))).status, 201);
          const over = await file(id, "b.bin", "PUT", new Uint8Array(900));
          assert.equal(over.status, 413);
          const total = (await over.json()).error;
          assert.match(total, /FAAS_SESSION_MAX_FILES_BYTES/);
          assert.match(total, /b\.bin/);
          // Replacing a file counts its new size, not both.
          assert.equal((await file(id, "a.bin", "PUT", new Uint8Array(950))).status, 200);
        });

        await t.step(`${language}: bad paths 400, another key sees nothing`, async () => {
          for (const path of ["a%2F..%2Fx", "a%5Cb", "a//b"]) {
            const bad = await file(id, path, "PUT", "x");
            assert.equal(bad.status, 400, path);
            assert.equal((await bad.json()).details[0].field, "path");
          }
          const other = await file(id, "raw.bin", "GET", undefined, "key-b");
          assert.equal(other.status, 404);
          assert.equal((await b.call("GET", `/sessions/${id}/files`)).status, 404);
          assert.equal((await file(id, "x.txt", "PUT", "x", "key-b")).status, 404);
          // Another session of the same key has files of its own.
          const mine = (await a.create(language)).body.id as string;
          assert.deepEqual((await list(mine)).files, []);
          assert.equal((await file(mine, "raw.bin")).status, 404);
          await a.remove(mine);
        });
        await a.remove(id);
      }
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "session file uploads have their own limit, not the request body's",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_MAX_BODY_BYTES: "1024",
      FAAS_SESSION_MAX_FILE_BYTES: "8192",
    });
    const a = sessionClient(server.url);
    const put = (id: string, path: string, body: BodyInit) =>
      fetch(`${server.url}/sessions/${id}/files/${path}`, { method: "PUT", body });
    /** A body sent in chunks with no Content-Length, as a streamed upload is. */
    const streamed = (bytes: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < bytes; sent += 1000) {
            controller.enqueue(new Uint8Array(Math.min(1000, bytes - sent)).fill(7));
          }
          controller.close();
        },
      });
    try {
      const id = (await a.create("python")).body.id as string;

      await t.step("a file past FAAS_MAX_BODY_BYTES but within its own limit goes in", async () => {
        const res = await put(id, "big.bin", new Uint8Array(6000).fill(7));
        assert.equal(res.status, 201, await res.text());
        const streamedRes = await put(id, "streamed.bin", streamed(7000));
        assert.equal(streamedRes.status, 201, await streamedRes.text());
        const ran = await a.run(
          id,
          "len(open('big.bin', 'rb').read()) + len(open('streamed.bin', 'rb').read())",
        );
        assert.equal(ran.body.output.ret_val, "13000", JSON.stringify(ran.body));
      });

      await t.step("past its own limit: 413, also when streamed", async () => {
        for (const body of [new Uint8Array(9000), streamed(9000)]) {
          const res = await put(id, "huge.bin", body);
          assert.equal(res.status, 413);
          const answer = await res.json();
          assert.match(answer.error, /FAAS_SESSION_MAX_FILE_BYTES \(8192 bytes\)/);
          assert.match(answer.error, /huge\.bin/);
          assert.equal(answer.details[0].field, "path");
        }
      });

      await t.step("other bodies keep the request limit", async () => {
        const res = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ language: "python", code: `x = "${"a".repeat(2000)}"` }),
        });
        assert.equal(res.status, 413);
        assert.match((await res.json()).error, /1024 bytes/);
      });
    } finally {
      await server.close();
    }
  },
});
