/**
 * A work queue keyed by object (`namespace/name`): a key waiting is not added twice, one key is
 * never worked on by two workers at once (a key added meanwhile runs again after), and a failed
 * key comes back with exponential backoff.
 *
 * Oldest work first: a key is added with the time the work it continues began (`since`: for a
 * pipeline's keys, when the operator first saw the pipeline), and workers take the key whose
 * work began first (ties in the order added). In a burst, a pipeline's next step (its
 * ModelVersion's promotion, then serving it) so goes before the first steps of the pipelines
 * created after it, and pipelines become Ready one after another instead of all together at
 * the end. A key added without `since` began now.
 */
export class WorkQueue {
  /** Waiting keys and their place: when their work began, and the order they were added. */
  private readonly waiting = new Map<string, Place>();
  private readonly heap: Entry[] = [];
  private readonly active = new Set<string>();
  /** Keys added while active, with the earliest `since` asked: they run again after. */
  private readonly dirty = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Workers waiting for a key. */
  private readonly idle: (() => void)[] = [];
  private sequence = 0;
  private stopped = false;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly clock: () => number;
  private readonly onTake: (key: string, waitedMs: number) => void;

  constructor(
    options: {
      backoff?: { baseMs: number; maxMs: number };
      /** Milliseconds, the clock `since` is given in (default performance.now). */
      clock?: () => number;
      /** Called as a worker takes a key, with how long it waited (the queue-wait metric). */
      onTake?: (key: string, waitedMs: number) => void;
    } = {},
  ) {
    this.backoff = options.backoff ?? { baseMs: 50, maxMs: 300_000 };
    this.clock = options.clock ?? (() => performance.now());
    this.onTake = options.onTake ?? (() => {});
  }

  get depth(): number {
    return this.waiting.size;
  }

  /** Keys waiting for a timer (requeue-after or backoff). */
  get scheduled(): number {
    return this.timers.size;
  }

  /**
   * Queues `key` for work that began at `since` (default now); a waiting key moves up when its
   * work is found to have begun earlier.
   */
  add(key: string, { since }: { since?: number } = {}): void {
    if (this.stopped) return;
    const now = this.clock();
    const began = Math.min(since ?? now, now);
    if (this.active.has(key)) {
      this.dirty.set(key, Math.min(began, this.dirty.get(key) ?? began));
      return;
    }
    const place = this.waiting.get(key);
    if (place && place.began <= began) return;
    const entry = { key, began, order: place?.order ?? this.sequence++, queuedAt: now };
    this.waiting.set(key, { ...entry, queuedAt: place?.queuedAt ?? now });
    push(this.heap, entry);
    if (!place) this.idle.shift()?.();
  }

  /**
   * Adds the key after `delayMs` (a later call for the same key replaces an earlier one). After
   * `stop` it does nothing: a reconcile that was running when the queue stopped must not leave a
   * timer behind (a one-hour canary pause kept a stopped operator's process alive).
   */
  addAfter(key: string, delayMs: number, options: { since?: number } = {}): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => (this.timers.delete(key), this.add(key, options)), delayMs),
    );
  }

  /**
   * Runs `work` for keys with `workers` concurrent workers until `stop`; a thrown error requeues
   * the key with backoff.
   */
  async run(
    work: (key: string) => Promise<void>,
    onError: (key: string, error: unknown, retryInMs: number) => void,
    workers = 1,
  ): Promise<void> {
    await Promise.all(Array.from({ length: workers }, () => this.worker(work, onError)));
  }

  /** The waiting key whose work began first (stale heap entries of moved-up keys are skipped). */
  private take(): string | undefined {
    for (let entry = pop(this.heap); entry; entry = pop(this.heap)) {
      const place = this.waiting.get(entry.key);
      if (!place || place.began !== entry.began || place.order !== entry.order) continue;
      this.waiting.delete(entry.key);
      this.onTake(entry.key, this.clock() - place.queuedAt);
      return entry.key;
    }
    return undefined;
  }

  private async worker(
    work: (key: string) => Promise<void>,
    onError: (key: string, error: unknown, retryInMs: number) => void,
  ): Promise<void> {
    while (!this.stopped) {
      const key = this.take();
      if (key === undefined) {
        await new Promise<void>((resolve) => this.idle.push(resolve));
        continue;
      }
      this.active.add(key);
      try {
        await work(key);
        this.failures.delete(key);
      } catch (error) {
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        const retryInMs = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (failures - 1));
        onError(key, error, retryInMs);
        this.addAfter(key, retryInMs);
      } finally {
        this.active.delete(key);
        const since = this.dirty.get(key);
        if (since !== undefined) {
          this.dirty.delete(key);
          this.add(key, { since });
        }
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.idle.splice(0)) wake();
  }
}

interface Place {
  /** When the work this key continues began. */
  began: number;
  /** Order among keys whose work began at the same time. */
  order: number;
  /** When it was queued (its wait, for the metric). */
  queuedAt: number;
}

interface Entry extends Place {
  key: string;
}

const before = (a: Entry, b: Entry) =>
  a.began < b.began || (a.began === b.began && a.order < b.order);

/** Binary min-heap on (began, order). */
function push(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Entry[]): Entry | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  heap[0] = last;
  for (let i = 0; ;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let least = i;
    if (left < heap.length && before(heap[left]!, heap[least]!)) least = left;
    if (right < heap.length && before(heap[right]!, heap[least]!)) least = right;
    if (least === i) break;
    [heap[i], heap[least]] = [heap[least]!, heap[i]!];
    i = least;
  }
  return top;
}
