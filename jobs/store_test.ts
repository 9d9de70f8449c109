/**
 * The two job stores keep one contract: claim order, owners passed over
 * (by their API key), attempts counted when a run starts (not at the claim),
 * requeue with and without refund, finish guarded by status, dead-letter
 * retry, listing summaries page by page, result bytes per owner, dead
 * letters over every owner (filtered, counted, discarded, deleted apart
 * from finished jobs), and recovery of running jobs. Redis runs as a real
 * `redis-server`.
 */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { openJobStore } from "./open_store.ts";
import { createClient } from "redis";
import { DatabaseSync } from "node:sqlite";
import type { Job, JobStore } from "./types.ts";
import type { DeadLetterQuery } from "./types.ts";
import { queuedJob } from "../tests/helpers/jobs.ts";

const job = queuedJob;

/** A queued job running `code` in `language`. */
function jobOf(id: string, owner: string, language: "python" | "javascript", code: string): Job {
  const made = job(id, owner, "low", 90);
  made.run.request.language = language;
  made.run.request.code = code;
  return made;
}

async function contract(t: Deno.TestContext, store: JobStore) {
  // Ids unique to this run, so a shared Redis database holds no strays.
  const tag = crypto.randomUUID().slice(0, 8);
  const id = (name: string) => `${tag}-${name}`;
  await store.insert([
    job(id("a-old"), `${tag}a`, "normal", 1),
    job(id("b-old"), `${tag}b`, "normal", 2),
    job(id("a-urgent"), `${tag}a`, "urgent", 3),
    job(id("b-new"), `${tag}b`, "normal", 4),
  ]);

  await t.step("claims by priority, then age, passing over saturated owners", async () => {
    assert.equal((await store.claim(10, 1000))?.id, id("a-urgent"));
    const claimed = await store.claim(11, 1000, [`${tag}a`]);
    assert.equal(claimed?.id, id("b-old"));
    assert.equal(claimed?.status, "running");
    // Claimed is not started: the run may never reach a sandbox.
    assert.equal(claimed?.attempts, 0);
    assert.equal(claimed?.startedAt, undefined);
    assert.equal(await store.markStarted(id("b-old"), 11), 1);
    assert.equal((await store.get(id("b-old")))?.startedAt, 11);
    assert.equal(await store.markStarted(id("a-old"), 11), undefined, "not running");
    assert.equal(await store.claim(12, 1000, [`${tag}a`, `${tag}b`]), undefined);
    assert.deepEqual(await store.activeCounts(), { queued: 2, running: 2 });
  });

  await t.step("an owner passed over never hides the others, however many it queued", async () => {
    const many = Array.from({ length: 1500 }, (_, i) => job(id(`x${i}`), `${tag}x`, "urgent", 5));
    await store.insert(many);
    await store.insert([job(id("y"), `${tag}y`, "low", 6)]);
    const skip = [`${tag}a`, `${tag}b`, `${tag}x`];
    assert.equal((await store.claim(12, 1000, skip))?.id, id("y"));
    assert.equal(await store.claim(12, 1000, skip), undefined);
    // Not passed over, the urgent ones come first again.
    assert.equal((await store.claim(12, 1000, [`${tag}a`, `${tag}b`]))?.owner, `${tag}x`);
    for (const j of many) await store.finish(j.id, ["queued", "running"], "cancelled", 13);
    await store.finish(id("y"), ["running"], "cancelled", 13);
  });

  await t.step("owners are passed over by their API key, whatever their tenant", async () => {
    await store.insert([
      job(id("k-t1"), `${tag}k/t1`, "urgent", 7),
      job(id("k-t2"), `${tag}k/t2`, "urgent", 8),
      job(id("z"), `${tag}z`, "low", 9),
    ]);
    const skip = [`${tag}a`, `${tag}b`, `${tag}x`, `${tag}y`, `${tag}k`];
    assert.equal((await store.claim(12, 1000, skip))?.id, id("z"));
    assert.equal((await store.claim(12, 1000, [`${tag}a`, `${tag}b`]))?.id, id("k-t1"));
    for (const name of ["k-t1", "k-t2", "z"]) {
      await store.finish(id(name), ["queued", "running"], "cancelled", 13);
    }
  });

  await t.step("a refunded requeue is not an attempt; a plain one is", async () => {
    await store.requeue(id("b-old"), true);
    assert.equal((await store.get(id("b-old")))?.attempts, 0);
    assert.equal((await store.claim(13, 1000, [`${tag}a`]))?.id, id("b-old"));
    assert.equal(await store.markStarted(id("b-old"), 13), 1);
    await store.requeue(id("b-old"), false);
    const again = await store.claim(14, 1000, [`${tag}a`]);
    assert.equal(again?.id, id("b-old"));
    assert.equal(again?.attempts, 1);
    assert.equal(await store.markStarted(id("b-old"), 14), 2);
  });

  await t.step("a claim requeued without starting is no attempt", async () => {
    await store.requeue(id("b-old"), false);
    for (let i = 0; i < 3; i++) {
      assert.equal((await store.claim(15, 1000, [`${tag}a`]))?.id, id("b-old"));
      await store.requeue(id("b-old"), false);
    }
    assert.equal((await store.get(id("b-old")))?.attempts, 2);
    assert.equal((await store.claim(16, 1000, [`${tag}a`]))?.id, id("b-old"));
  });

  await t.step("finish applies only from the given statuses", async () => {
    assert.ok(!(await store.finish(id("a-old"), ["running"], "done", 20)));
    const attempt = {
      attempt: 2,
      startedAt: 14,
      finishedAt: 20,
      outcome: "failed" as const,
      runStatus: "killed",
      error: "gone",
      instance: "py-1/2",
    };
    assert.ok(
      await store.finish(id("b-old"), ["running"], "dead", 20, { error: "gone", attempt }),
    );
    const dead = await store.get(id("b-old"));
    assert.equal(dead?.status, "dead");
    assert.equal(dead?.error, "gone");
    assert.deepEqual(dead?.history, [attempt]);
    assert.ok((await store.list(`${tag}b`, "dead", 10)).jobs.some((j) => j.id === id("b-old")));
    assert.ok(await store.retry(id("b-old")));
    assert.ok(!(await store.retry(id("b-old"))));
    // A retry keeps the attempts and their history; those after it count anew.
    const retried = await store.get(id("b-old"));
    assert.equal(retried?.status, "queued");
    assert.equal(retried?.attempts, dead?.attempts);
    assert.equal(retried?.retryBase, dead?.attempts);
    assert.deepEqual(retried?.history, [attempt]);
    // Still a dead letter, marked retried, with when it died.
    assert.equal(retried?.dlq, "retried");
    assert.equal(retried?.deadAt, 20);
  });

  await t.step("listings are summaries, oldest first, page by page", async () => {
    const owner = `${tag}l`;
    // A batch: one creation time, so pages go on by id.
    const ids = Array.from({ length: 5 }, (_, i) => id(`l${i}`));
    await store.insert(ids.map((jobId) => job(jobId, owner, "normal", 17)));
    await store.insert([job(id("l-late"), owner, "normal", 18)]);
    for (const jobId of [...ids, id("l-late")]) {
      assert.ok(await store.finish(jobId, ["queued"], "done", 19, { result: { big: "x" } }));
    }
    const seen: string[] = [];
    let page = await store.list(owner, "done", 2);
    for (let i = 0; i < 10; i++) {
      for (const j of page.jobs) {
        assert.ok(!("result" in j) && !("run" in j), JSON.stringify(j));
        seen.push(j.id);
      }
      if (!page.next) break;
      page = await store.list(owner, "done", 2, page.next);
    }
    assert.deepEqual(seen, [...[...ids].sort(), id("l-late")]);
    // A cursor whose job left the listing meanwhile goes on where it was.
    const first = await store.list(owner, "done", 2);
    await store.finish(first.jobs[1].id, ["done"], "dead", 20);
    const rest = await store.list(owner, "done", 10, first.next);
    assert.deepEqual(rest.jobs.map((j) => j.id), seen.slice(2));
    assert.equal(rest.next, undefined);
    assert.deepEqual((await store.list(`${tag}none`, "done", 10)).jobs, []);
  });

  await t.step("an owner's result bytes follow its stored results", async () => {
    const owner = `${tag}l`;
    // Six results of 11 bytes ({"big":"x"}) stored above; one is dead now, its result kept.
    assert.equal(await store.resultBytes(owner), 6 * 11);
    assert.equal(await store.resultBytes(`${tag}none`), 0);
    assert.ok(
      await store.finish(id("l-late"), ["done"], "done", 21, {
        result: { big: "é" },
        resultNote: "cut",
      }),
    );
    const cut = await store.get(id("l-late"));
    assert.equal(cut?.resultNote, "cut");
    assert.equal(await store.resultBytes(owner), 5 * 11 + 12);
  });

  await t.step("finished jobs expire, and their result bytes with them", async () => {
    assert.ok(await store.finish(id("a-urgent"), ["running"], "done", 30, { result: { ok: 1 } }));
    assert.deepEqual((await store.get(id("a-urgent")))?.result, { ok: 1 });
    assert.ok((await store.deleteFinishedBefore(31)) >= 1);
    assert.equal(await store.get(id("a-urgent")), undefined);
    // The dead one is a dead letter: kept, with its result, until dead letters go.
    assert.equal(await store.resultBytes(`${tag}l`), 11);
    assert.equal((await store.get(id("l1")))?.status, "dead");
  });

  await t.step("dead letters are listed over every owner, filtered and counted", async () => {
    const tenant = `${tag}-acme`;
    const acme = `${tag}k1/${encodeURIComponent(tenant)}`;
    await store.insert([
      jobOf(id("d1"), acme, "python", "raise ValueError('alpha')"),
      jobOf(id("d2"), acme, "javascript", "throw 'gamma'"),
      jobOf(id("d3"), `${tag}k2`, "javascript", "return 1"),
    ]);
    const before = await store.deadLetterCounts();
    for (const [name, at, error] of [["d1", 100, "alpha"], ["d2", 200, "Beta broke"]] as const) {
      assert.ok(await store.finish(id(name), ["queued"], "dead", at, { error }));
    }
    assert.ok(await store.finish(id("d3"), ["queued"], "dead", 300, { error: "x" }));
    const ids = async (q: Partial<DeadLetterQuery>) => {
      const { letters, total } = await store.deadLetters({ limit: 10, offset: 0, ...q });
      return { ids: letters.map((l) => l.id), total };
    };
    const all = await store.deadLetters({ tenant, limit: 10, offset: 0 });
    assert.equal(all.total, 2);
    assert.deepEqual(all.letters.map((l) => l.id), [id("d2"), id("d1")], "newest first");
    const d1 = all.letters[1];
    assert.deepEqual(
      [d1.owner, d1.state, d1.status, d1.language, d1.code, d1.deadAt, d1.error],
      [acme, "pending", "dead", "python", "raise ValueError('alpha')", 100, "alpha"],
    );
    assert.deepEqual(await ids({ tenant, language: "python" }), { ids: [id("d1")], total: 1 });
    assert.deepEqual((await ids({ tenant, text: "BETA" })).ids, [id("d2")], "in the error");
    assert.deepEqual((await ids({ tenant, text: "Gamma" })).ids, [id("d2")], "in the code");
    assert.deepEqual((await ids({ tenant, from: 150 })).ids, [id("d2")]);
    assert.deepEqual((await ids({ tenant, to: 150 })).ids, [id("d1")]);
    assert.deepEqual(await ids({ tenant, limit: 1, offset: 1 }), { ids: [id("d1")], total: 2 });
    // An owner naming no tenant goes by its API key.
    assert.deepEqual((await ids({ tenant: `${tag}k2` })).ids, [id("d3")]);
    const counts = await store.deadLetterCounts();
    assert.equal(counts.pending, before.pending + 3);

    assert.ok(await store.discard(id("d1")));
    assert.ok(!(await store.discard(id("a-old"))), "not dead");
    assert.ok(!(await store.discard(id("nope"))));
    assert.ok(await store.retry(id("d2")));
    assert.deepEqual((await ids({ tenant, state: "discarded" })).ids, [id("d1")]);
    const retried = await store.deadLetters({ tenant, state: "retried", limit: 10, offset: 0 });
    assert.deepEqual(retried.letters.map((l) => [l.id, l.status, l.deadAt]), [
      [id("d2"), "queued", 200],
    ]);
    assert.deepEqual((await ids({ tenant, state: "pending" })).ids, []);
    assert.deepEqual(await store.deadLetterCounts(), {
      pending: before.pending + 1,
      retried: before.retried + 1,
      discarded: before.discarded + 1,
    });
    // Dying again makes it a pending dead letter once more.
    assert.ok(await store.finish(id("d2"), ["queued"], "dead", 400, { error: "again" }));
    const again = await store.get(id("d2"));
    assert.deepEqual([again?.dlq, again?.deadAt], [undefined, 400]);
  });

  await t.step("dead letters are deleted apart from finished jobs", async () => {
    await store.insert([job(id("e1"), `${tag}e`, "normal", 499)]);
    assert.ok(await store.finish(id("e1"), ["queued"], "done", 500, { result: { ok: 1 } }));
    const kept = await store.keptStats();
    assert.ok(kept.deadLetters.count >= 4, JSON.stringify(kept));
    assert.equal(kept.deadLetters.oldest, 20);
    assert.ok(kept.deadLetters.bytes > 4 * 100, JSON.stringify(kept));
    assert.equal(kept.jobs.count, 1);
    assert.equal(kept.jobs.oldest, 500);
    assert.ok(kept.jobs.bytes > 100, JSON.stringify(kept));
    // Died before 250: the discarded d1 and the dead listing job; d2 died again later.
    assert.equal(await store.deleteDeadLetters(250), 2);
    assert.equal(await store.get(id("d1")), undefined);
    assert.equal(await store.get(id("l1")), undefined);
    assert.equal(await store.resultBytes(`${tag}l`), 0);
    assert.equal((await store.get(id("d2")))?.status, "dead");
    assert.equal((await store.get(id("b-old")))?.dlq, "retried", "a retried job stays");
    assert.ok((await store.deleteDeadLetters()) >= 2);
    assert.equal(await store.get(id("d3")), undefined);
    assert.deepEqual((await store.keptStats()).deadLetters, { count: 0, bytes: 0 });
    assert.equal((await store.get(id("e1")))?.status, "done", "finished jobs stay");
  });
}

Deno.test("the SQLite job store keeps the store contract", async (t) => {
  const store = openJobStore(":memory:");
  try {
    await contract(t, store);
    await t.step("running jobs are queued again at start", async () => {
      const running = await store.claim(40, 1000);
      assert.ok(running);
      assert.equal(await store.recover(50, false), 0);
      assert.equal(await store.recover(50, true), 1);
      const recovered = await store.get(running.id);
      assert.equal(recovered?.status, "queued");
      // It never started: the claim lost with the service used no attempt.
      assert.equal(recovered?.attempts, running.attempts);
      assert.deepEqual(recovered?.history, []);
    });

    await t.step("an attempt under way when the service stopped is recorded as lost", async () => {
      const started = await store.claim(60, 1000);
      assert.ok(started);
      const attempts = await store.markStarted(started.id, 61);
      await store.requeue(started.id, false, {
        attempt: attempts!,
        startedAt: 61,
        finishedAt: 62,
        outcome: "failed",
        error: "boom",
      });
      assert.equal((await store.claim(63, 1000))?.id, started.id);
      const again = await store.markStarted(started.id, 64);
      assert.equal(await store.recover(70, true), 1);
      const lost = await store.get(started.id);
      assert.deepEqual(lost?.history?.map((a) => [a.attempt, a.outcome]), [
        [attempts, "failed"],
        [again, "lost"],
      ]);
      assert.equal(lost?.history?.[1].startedAt, 64);
    });
  } finally {
    await store.close();
  }
});

Deno.test("a SQLite job store written before result sizes were kept is brought up to date", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "faas-store-" });
  const path = `${dir}/jobs.sqlite`;
  try {
    // The table as an older version made it, with one finished job.
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL, run TEXT NOT NULL,
      idempotency_key TEXT, created_at INTEGER NOT NULL, started_at INTEGER,
      finished_at INTEGER, result TEXT, error TEXT)`);
    const stored = job("old", "k1", "normal", 1);
    old.prepare(`INSERT INTO jobs (id, owner, status, attempts, priority, run, created_at,
      finished_at, result) VALUES (?, ?, 'done', 1, 2, ?, 1, 2, ?)`)
      .run("old", "k1", JSON.stringify(stored.run), '{"text":"é"}');
    old.prepare(`INSERT INTO jobs (id, owner, status, attempts, priority, run, created_at,
      finished_at, error) VALUES ('died', 'k1', 'dead', 3, 2, ?, 1, 5, 'gone')`)
      .run(JSON.stringify(stored.run));
    old.close();
    const store = openJobStore(path);
    try {
      assert.equal(await store.resultBytes("k1"), 13);
      assert.deepEqual((await store.get("old"))?.result, { text: "é" });
      // A job that died then is a pending dead letter, dead since it finished.
      const { letters } = await store.deadLetters({ limit: 10, offset: 0 });
      assert.deepEqual(letters.map((l) => [l.id, l.state, l.deadAt]), [["died", "pending", 5]]);
    } finally {
      await store.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the Redis job store keeps the store contract", async (t) => {
  const redis = await startRedis();
  const store = openJobStore(redis.url);
  try {
    await contract(t, store);
    await t.step("queues written without a queue per owner are brought up to date", async () => {
      const raw = createClient({ url: redis.url });
      await raw.connect();
      try {
        // A job as an older version queued it: in the one queue only.
        await store.insert([job("old-layout", "o1", "normal", 50)]);
        await raw.zRem("faas:queue:o1", "old-layout");
        await raw.sRem("faas:queued-owners", "o1");
        // A dead job as an older version kept it: among the finished ones.
        await store.insert([job("old-dead", "o3", "normal", 50)]);
        await store.finish("old-dead", ["queued"], "dead", 51, { error: "gone" });
        await raw.zRem("faas:dlq", "old-dead");
        await raw.hDel("faas:job:old-dead", "dead_at");
        await raw.zAdd("faas:finished", { score: 51, value: "old-dead" });
        await raw.del("faas:layout");
        // Other owners' jobs left queued by the steps above are passed over.
        const others = async (owner: string) =>
          (await raw.sMembers("faas:queued-owners")).filter((o) => o !== owner);
        const skipOld = await others("o1");
        const upgraded = openJobStore(redis.url);
        try {
          assert.equal((await upgraded.claim(51, 1000, skipOld))?.id, "old-layout");
          // Taken by an older version, still at its owner's head: never claimed twice.
          await upgraded.insert([job("stale", "o2", "normal", 52)]);
          assert.equal((await upgraded.claim(53, 1000, await others("o2")))?.id, "stale");
          await raw.zAdd("faas:queue:o2", { score: 1, value: "stale" });
          await raw.sAdd("faas:queued-owners", "o2");
          assert.equal(await upgraded.markStarted("stale", 53), 1);
          assert.equal(await upgraded.claim(54, 1000, await others("o2")), undefined);
          const stale = await upgraded.get("stale");
          assert.equal(stale?.attempts, 1);
          assert.equal(stale?.startedAt, 53);
          for (const id of ["old-layout", "stale"]) {
            await upgraded.finish(id, ["running"], "cancelled", 55);
          }
          const { letters } = await upgraded.deadLetters({ tenant: "o3", limit: 10, offset: 0 });
          assert.deepEqual(letters.map((l) => [l.id, l.state, l.deadAt]), [
            ["old-dead", "pending", 51],
          ]);
          assert.equal(await upgraded.deleteFinishedBefore(52), 0, "not a finished job");
        } finally {
          await upgraded.close();
        }
      } finally {
        await raw.close();
      }
    });

    await t.step("running jobs are queued again when their lease ran out", async () => {
      const running = await store.claim(40, 1000);
      assert.ok(running);
      assert.equal(await store.recover(1039, false), 0);
      await store.renew([running.id], 2000);
      assert.equal(await store.recover(1500, false), 0);
      assert.equal(await store.recover(2001, false), 1);
      const recovered = await store.get(running.id);
      assert.equal(recovered?.status, "queued");
      // It never started: the claim lost with its replica used no attempt.
      assert.equal(recovered?.attempts, running.attempts);
      assert.deepEqual(recovered?.history, []);
    });

    await t.step("an attempt under way when its replica died is recorded as lost", async () => {
      const started = await store.claim(3000, 1000);
      assert.ok(started);
      const attempts = await store.markStarted(started.id, 3001);
      assert.equal(await store.recover(4001, false), 1);
      const lost = await store.get(started.id);
      assert.deepEqual(lost?.history?.map((a) => [a.attempt, a.outcome, a.startedAt]), [
        [attempts, "lost", 3001],
      ]);
    });
  } finally {
    await store.close();
    await redis.stop();
  }
});
