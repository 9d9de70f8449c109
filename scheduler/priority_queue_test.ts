import assert from "node:assert/strict";
import { type Priority, PriorityQueue } from "./priority_queue.ts";

interface Entry {
  name: string;
  priority: Priority;
  enqueuedAt: number;
}

const entry = (name: string, priority: Priority, enqueuedAt = 0): Entry => ({
  name,
  priority,
  enqueuedAt,
});

function drain(queue: PriorityQueue<Entry>, now: number): string[] {
  const out: string[] = [];
  let next: Entry | undefined;
  while ((next = queue.pop(now))) out.push(next.name);
  return out;
}

Deno.test("priority queue", async (t) => {
  await t.step("dispatches urgent before high before normal before low", () => {
    const q = new PriorityQueue<Entry>(1_000_000);
    for (const p of ["low", "normal", "high", "urgent"] as const) q.push(entry(p, p));
    assert.deepEqual(drain(q, 0), ["urgent", "high", "normal", "low"]);
  });

  await t.step("some looks at a bounded number of waiting entries, best class first", () => {
    const q = new PriorityQueue<Entry>(1_000_000);
    for (let i = 0; i < 5; i++) q.push(entry(`low-${i}`, "low"));
    q.push(entry("urgent-0", "urgent"));
    assert.equal(q.some((e) => e.name === "low-4"), true);
    assert.equal(q.some((e) => e.name === "low-4", 5), false);
    assert.equal(q.some((e) => e.name === "urgent-0", 1), true);
    assert.equal(q.some((e) => e.name === "gone"), false);
    q.pop(0);
    assert.equal(q.some((e) => e.name === "urgent-0"), false);
  });

  await t.step("keeps FIFO order within a class", () => {
    const q = new PriorityQueue<Entry>(1_000_000);
    for (let i = 0; i < 5; i++) q.push(entry(`n${i}`, "normal", i));
    assert.deepEqual(drain(q, 10), ["n0", "n1", "n2", "n3", "n4"]);
  });

  await t.step("ages a waiting low entry past newer urgent ones", () => {
    const q = new PriorityQueue<Entry>(100);
    q.push(entry("old-low", "low", 0));
    q.push(entry("new-urgent", "urgent", 250));
    // At 250 ms the low entry has risen 2 classes (to high): urgent wins.
    assert.equal(q.pop(250)?.name, "new-urgent");
    q.push(entry("newer-urgent", "urgent", 300));
    // At 300 ms it has risen 3 classes (to urgent) and is older: it wins.
    assert.equal(q.pop(300)?.name, "old-low");
    assert.equal(q.pop(300)?.name, "newer-urgent");
  });

  await t.step("tracks sizes per class and removes entries", () => {
    const q = new PriorityQueue<Entry>(1000);
    const a = entry("a", "high");
    const b = entry("b", "high");
    q.push(a);
    q.push(b);
    q.push(entry("c", "low"));
    assert.equal(q.size, 3);
    assert.equal(q.sizeOf("high"), 2);
    assert.equal(q.remove(a), true);
    assert.equal(q.remove(a), false);
    assert.equal(q.sizeOf("high"), 1);
    assert.deepEqual(drain(q, 0), ["b", "c"]);
    assert.equal(q.size, 0);
    assert.equal(q.pop(0), undefined);
  });

  await t.step("reports when its longest-waiting entry was queued", () => {
    const q = new PriorityQueue<Entry>(1000);
    assert.equal(q.oldestEnqueuedAt(), undefined);
    q.push(entry("later-urgent", "urgent", 50));
    q.push(entry("early-low", "low", 10));
    assert.equal(q.oldestEnqueuedAt(), 10);
  });

  await t.step("stays correct across many pushes and pops", () => {
    const q = new PriorityQueue<Entry>(1_000_000);
    for (let i = 0; i < 5000; i++) q.push(entry(String(i), "normal", i));
    const first = [];
    for (let i = 0; i < 3000; i++) first.push(q.pop(0)!.name);
    assert.equal(first[2999], "2999");
    assert.equal(q.sizeOf("normal"), 2000);
    assert.equal(q.pop(0)?.name, "3000");
  });

  await t.step("popReady skips entries that must wait, keeping the order of the rest", () => {
    const q = new PriorityQueue<Entry>(1_000_000);
    q.push(entry("waiting", "urgent", 0));
    q.push(entry("first", "normal", 1));
    q.push(entry("second", "normal", 2));
    const ready = (e: Entry) => e.name !== "waiting";
    assert.equal(q.popReady(5, ready)?.name, "first");
    assert.equal(q.popReady(5, ready)?.name, "second");
    assert.equal(q.popReady(5, ready), undefined);
    assert.equal(q.size, 1);
    assert.equal(q.pop(5)?.name, "waiting");
  });
});
