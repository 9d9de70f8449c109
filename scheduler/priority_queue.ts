/**
 * Queue of waiting runs: strict priority between classes, FIFO within one,
 * and aging, so a run rises one class for every `agingMs` it waits and a
 * `low` run cannot wait forever behind a stream of `urgent` ones.
 */

/** Priority classes, most urgent first. */
export const PRIORITIES = ["urgent", "high", "normal", "low"] as const;

/** A priority class. */
export type Priority = typeof PRIORITIES[number];

/** What the queue needs to know of an entry. */
export interface Queued {
  priority: Priority;
  /** When it was queued, in the queue's clock. */
  enqueuedAt: number;
}

/** Priority queue with aging; O(classes) per pop. */
export class PriorityQueue<T extends Queued> {
  #lanes = new Map<Priority, T[]>(PRIORITIES.map((p) => [p, []]));
  #heads = new Map<Priority, number>(PRIORITIES.map((p) => [p, 0]));
  #size = 0;
  #agingMs: number;

  /** @param agingMs wait after which an entry counts one class higher. */
  constructor(agingMs: number) {
    this.#agingMs = agingMs;
  }

  /** Entries waiting. */
  get size(): number {
    return this.#size;
  }

  /** Entries waiting in one class. */
  sizeOf(priority: Priority): number {
    return this.#lanes.get(priority)!.length - this.#heads.get(priority)!;
  }

  /** When the longest-waiting entry was queued, or undefined when empty. */
  oldestEnqueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const priority of PRIORITIES) {
      const head = this.#peek(priority);
      if (head && (oldest === undefined || head.enqueuedAt < oldest)) oldest = head.enqueuedAt;
    }
    return oldest;
  }

  /** Adds an entry at the back of its class. */
  push(entry: T): void {
    this.#lanes.get(entry.priority)!.push(entry);
    this.#size++;
  }

  /**
   * Takes the entry with the best effective class at time `now`; among equal
   * classes, the one queued first.
   */
  pop(now: number): T | undefined {
    let best: T | undefined;
    let bestRank = Infinity;
    for (const [index, priority] of PRIORITIES.entries()) {
      const head = this.#peek(priority);
      if (!head) continue;
      const rank = Math.max(0, index - Math.floor((now - head.enqueuedAt) / this.#agingMs));
      if (rank < bestRank || (rank === bestRank && head.enqueuedAt < best!.enqueuedAt)) {
        best = head;
        bestRank = rank;
      }
    }
    if (best) this.#shift(best.priority);
    return best;
  }

  /**
   * Like {@linkcode pop}, but takes the best entry `ready` accepts, so an
   * entry that must wait (a session whose instance is busy) does not hold
   * back those behind it.
   */
  popReady(now: number, ready: (entry: T) => boolean): T | undefined {
    let best: T | undefined;
    let bestRank = Infinity;
    for (const [index, priority] of PRIORITIES.entries()) {
      const lane = this.#lanes.get(priority)!;
      for (let i = this.#heads.get(priority)!; i < lane.length; i++) {
        const entry = lane[i];
        if (!ready(entry)) continue;
        const rank = Math.max(0, index - Math.floor((now - entry.enqueuedAt) / this.#agingMs));
        if (rank < bestRank || (rank === bestRank && entry.enqueuedAt < best!.enqueuedAt)) {
          best = entry;
          bestRank = rank;
        }
        break;
      }
    }
    if (best) this.remove(best);
    return best;
  }

  /**
   * Whether one of the first `limit` entries, best class first, passes
   * `test` (a bounded look, for decisions that need only a sample).
   */
  some(test: (entry: T) => boolean, limit = 32): boolean {
    for (const priority of PRIORITIES) {
      const lane = this.#lanes.get(priority)!;
      for (let i = this.#heads.get(priority)!; i < lane.length; i++) {
        if (test(lane[i])) return true;
        if (--limit <= 0) return false;
      }
    }
    return false;
  }

  /** Removes an entry wherever it is (its caller went away). */
  remove(entry: T): boolean {
    const lane = this.#lanes.get(entry.priority)!;
    const head = this.#heads.get(entry.priority)!;
    const at = lane.indexOf(entry, head);
    if (at === -1) return false;
    lane.splice(at, 1);
    this.#size--;
    return true;
  }

  #peek(priority: Priority): T | undefined {
    return this.#lanes.get(priority)![this.#heads.get(priority)!];
  }

  #shift(priority: Priority): void {
    const lane = this.#lanes.get(priority)!;
    const head = this.#heads.get(priority)! + 1;
    this.#size--;
    // Compact now and then instead of shifting the array on every pop.
    if (head > 1024 && head * 2 > lane.length) {
      lane.splice(0, head);
      this.#heads.set(priority, 0);
    } else {
      this.#heads.set(priority, head);
    }
  }
}
