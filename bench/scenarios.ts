/** The programs the benchmark runs. */

/** Two texts of about 2.5 KB each, the same every run (seeded). */
export function evaluatorInput(): { expected: string; actual: string } {
  const words = ("the quick brown fox jumps over a lazy dog while seven wizards quietly " +
    "judge boxing matches near the old harbour and every answer counts toward the final score")
    .split(" ");
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const text = (n: number) =>
    Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(" ");
  return { expected: text(420), actual: text(420) };
}

/** A realistic evaluator: compares two texts, returns a score and a reason. */
export const EVALUATOR = {
  python: `import difflib, re
a, b = INPUT["expected"], INPUT["actual"]
ta, tb = set(re.findall(r"\\w+", a.lower())), set(re.findall(r"\\w+", b.lower()))
jaccard = len(ta & tb) / max(1, len(ta | tb))
ratio = difflib.SequenceMatcher(None, a.split(), b.split()).quick_ratio()
score = round(0.5 * jaccard + 0.5 * ratio, 4)
{"score": score, "reason": f"jaccard={jaccard:.3f} ratio={ratio:.3f}"}`,
  javascript: `const { expected: a, actual: b } = INPUT;
const words = (s) => new Set(s.toLowerCase().match(/\\w+/g) ?? []);
const ta = words(a), tb = words(b);
let inter = 0;
for (const w of ta) if (tb.has(w)) inter++;
const jaccard = inter / Math.max(1, ta.size + tb.size - inter);
const count = (xs) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map());
const ca = count(a.split(" ")), cb = count(b.split(" "));
let common = 0;
for (const [w, n] of ca) common += Math.min(n, cb.get(w) ?? 0);
const ratio = (2 * common) / (a.split(" ").length + b.split(" ").length);
const score = Math.round((0.5 * jaccard + 0.5 * ratio) * 1e4) / 1e4;
return { score, reason: \`jaccard=\${jaccard.toFixed(3)} ratio=\${ratio.toFixed(3)}\` };`,
};

/** CPU-bound work. */
export const FIB = {
  python: "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nfib(27)",
  javascript: "const fib = (n) => n < 2 ? n : fib(n - 1) + fib(n - 2);\nreturn fib(27);",
};

/**
 * One item of an evaluator experiment as evaluation platforms send it: the
 * item's data baked into the code, so every item is new code.
 */
export function evaluatorItem(n: number): string {
  return `import json, asyncio, dataclasses
@dataclasses.dataclass
class Item:
    output: str
    reference: str
item = Item(output=${JSON.stringify(`answer ${n % 7}`)}, reference=${
    JSON.stringify(`answer ${n % 5}`)
  })
async def judge(i):
    await asyncio.sleep(0)
    return 1.0 if i.output == i.reference else 0.0
score = await judge(item)
print("__COZE_RETURN_VAL_START__")
print(json.dumps({"score": score, "reason": "item ${n}"}))
print("__COZE_RETURN_VAL_END__")`;
}
