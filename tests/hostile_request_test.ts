/**
 * Hostile requests against /run_code: malformed, oversized, slow and odd
 * bodies must all get a JSON 4xx naming the field, never a 5xx or a crash.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

/** Sends raw bytes over TCP and returns the status line and body. */
async function rawRequest(
  port: number,
  head: string,
  chunks: Uint8Array[],
  delayMs = 0,
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder();
  await conn.write(enc.encode(head));
  try {
    for (const chunk of chunks) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      await conn.write(chunk);
    }
  } catch {
    // The server may answer and close before the whole body is sent.
  }
  const buf = new Uint8Array(1 << 16);
  let text = "";
  while (true) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
    if (/\r\n\r\n/.test(text) && /content-length: (\d+)/i.test(text)) {
      const len = Number(text.match(/content-length: (\d+)/i)![1]);
      const bodyStart = text.indexOf("\r\n\r\n") + 4;
      if (new TextEncoder().encode(text.slice(bodyStart)).length >= len) break;
    }
  }
  conn.close();
  const status = Number(text.split(" ")[1]);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

Deno.test({
  name: "hostile requests get JSON 4xx errors naming the field",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_BODY_BYTES: "65536",
    });
    const port = Number(new URL(server.url).port);
    const post = async (body: BodyInit, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/run_code`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      const text = await res.text();
      return { status: res.status, text, json: JSON.parse(text) };
    };

    const cases: [string, BodyInit, string][] = [
      ["empty body", "", "body"],
      ["truncated JSON", '{"language": "python", "code": ', "body"],
      ["a JSON array", "[1, 2]", "body"],
      ["a JSON string", '"print(1)"', "body"],
      ["null", "null", "body"],
      ["language null", '{"language": null, "code": "1"}', "language"],
      ["code null", '{"language": "python", "code": null}', "code"],
      ["code a number", '{"language": "python", "code": 42}', "code"],
      ["code an object", '{"language": "python", "code": {"a": 1}}', "code"],
      ["timeout 1e309", '{"language": "python", "code": "1", "timeout": 1e309}', "timeout"],
      [
        "timeout NaN-ish string",
        '{"language": "python", "code": "1", "timeout": "soon"}',
        "timeout",
      ],
      ["timeout negative zero", '{"language": "python", "code": "1", "timeout": -0}', "timeout"],
      ["timeout an array", '{"language": "python", "code": "1", "timeout": [1]}', "timeout"],
      ["priority a number", '{"language": "python", "code": "1", "priority": 1}', "priority"],
      ["stdin a number", '{"language": "python", "code": "1", "stdin": 5}', "stdin"],
      ["language with NUL", '{"language": "py\\u0000thon", "code": "1"}', "language"],
      [
        "huge language string",
        JSON.stringify({ language: "x".repeat(60000), code: "1" }),
        "language",
      ],
      [
        "huge priority string",
        JSON.stringify({ language: "py", code: "1", priority: "p".repeat(60000) }),
        "priority",
      ],
      [
        "huge timeout string",
        JSON.stringify({ language: "py", code: "1", timeout: "9x".repeat(30000) }),
        "timeout",
      ],
      [
        "huge tenant",
        JSON.stringify({ language: "py", code: "1", tenant: "t".repeat(60000) }),
        "tenant",
      ],
    ];
    for (const [name, body, field] of cases) {
      await t.step(`${name} → 400 naming ${field}`, async () => {
        const res = await post(body);
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.equal(typeof res.json.error, "string");
        // Errors quote what was sent, never all of it.
        assert.ok(res.text.length < 1000, `${res.text.length} bytes: ${res.text.slice(0, 300)}`);
        assert.ok(
          res.json.details.some((d: { field: string }) => d.field === field),
          res.text.slice(0, 300),
        );
      });
    }

    await t.step("NUL bytes inside code are passed through to the run", async () => {
      const res = await post(JSON.stringify({ language: "python", code: "len('a\\x00b')" }));
      assert.equal(res.status, 200);
      assert.equal(res.json.output.ret_val, "3");
    });

    await t.step("deeply nested input is accepted or rejected cleanly", async () => {
      const deep = "[".repeat(5000) + "]".repeat(5000);
      const res = await post(`{"language": "js", "code": "return 1", "input": ${deep}}`);
      assert.ok(res.status === 200 || res.status === 400, String(res.status));
    });

    await t.step("invalid UTF-8 → 400 naming body", async () => {
      const bytes = new Uint8Array([
        ...new TextEncoder().encode('{"language": "python", "code": "'),
        0xff,
        0xfe,
        ...new TextEncoder().encode('"}'),
      ]);
      const res = await post(bytes);
      assert.equal(res.status, 400);
      assert.equal(res.json.details[0].field, "body");
    });

    await t.step("body over the limit with Content-Length → 413", async () => {
      const res = await post(JSON.stringify({ language: "python", code: "#" + "x".repeat(70000) }));
      assert.equal(res.status, 413);
      assert.equal(res.json.details[0].field, "body");
    });

    await t.step("chunked body over the limit is cut off while streaming → 413", async () => {
      const chunk = new TextEncoder().encode("x".repeat(16384));
      const chunks: Uint8Array[] = [];
      const enc = new TextEncoder();
      // A chunked body that would go on far past the limit.
      for (let i = 0; i < 64; i++) {
        chunks.push(enc.encode(chunk.length.toString(16) + "\r\n"), chunk, enc.encode("\r\n"));
      }
      const res = await rawRequest(
        port,
        "POST /run_code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunks,
      );
      assert.equal(res.status, 413);
    });

    await t.step("a slow body still gets an answer", async () => {
      const body = new TextEncoder().encode('{"language": "python", "code": "1 + 1"}');
      const pieces = Array.from({ length: 8 }, (_, i) => body.slice(i * 5, i * 5 + 5));
      const res = await rawRequest(
        port,
        `POST /run_code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
        [...pieces, body.slice(40)],
        50,
      );
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).output.ret_val, "2");
    });

    await t.step("random garbage bodies never produce a 5xx", async () => {
      for (let i = 0; i < 100; i++) {
        const len = Math.floor(Math.random() * 200);
        const bytes = crypto.getRandomValues(new Uint8Array(len));
        const res = await fetch(`${server.url}/run_code`, { method: "POST", body: bytes });
        assert.ok(res.status < 500, `status ${res.status}`);
        assert.ok(typeof (await res.json()).error === "string");
      }
    });

    await t.step("the service still serves afterwards", async () => {
      const res = await post(JSON.stringify({ language: "js", code: "return 'alive'" }));
      assert.equal(res.json.output.ret_val, "alive");
    });

    await server.close();
  },
});
