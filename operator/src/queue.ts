/**
 * A work queue keyed by object (`namespace/name`): a key waiting is not added twice, one key is
 * never worked on by two workers at once (a key added meanwhile runs again after), and a failed
 * key comes back with exponential backoff. Keys added as follow-ups (the next step of work
 * already under way) are taken before the others, so a burst of new objects does not hold back
 * the ones that have started.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly dirtyFollowUps = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ready: string[] = [];
  private readonly followUps: string[] = [];
  /** Workers waiting for a key. */
  private readonly idle: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly backoff = { baseMs: 50, maxMs: 300_000 }) {}

  get depth(): number {
    return this.waiting.size;
  }

  /** Keys waiting for a timer (requeue-after or backoff). */
  get scheduled(): number {
    return this.timers.size;
  }

  /** Queues `key`; a follow-up goes before every key that is not one (and moves up if waiting). */
  add(key: string, { followUp = false } = {}): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      if (followUp) this.dirtyFollowUps.add(key);
      return;
    }
    if (this.waiting.has(key)) {
      const at = followUp ? this.ready.indexOf(key) : -1;
      if (at >= 0) this.followUps.push(...this.ready.splice(at, 1));
      return;
    }
    this.waiting.add(key);
    (followUp ? this.followUps : this.ready).push(key);
    this.idle.shift()?.();
  }

  /**
   * Adds the key after `delayMs` (a later call for the same key replaces an earlier one). After
   * `stop` it does nothing: a reconcile that was running when the queue stopped must not leave a
   * timer behind (a one-hour canary pause kept a stopped operator's process alive).
   */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => (this.timers.delete(key), this.add(key)), delayMs),
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

  private async worker(
    work: (key: string) => Promise<void>,
    onError: (key: string, error: unknown, retryInMs: number) => void,
  ): Promise<void> {
    while (!this.stopped) {
      const key = this.followUps.shift() ?? this.ready.shift();
      if (key === undefined) {
        await new Promise<void>((resolve) => this.idle.push(resolve));
        continue;
      }
      this.waiting.delete(key);
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
        if (this.dirty.delete(key)) this.add(key, { followUp: this.dirtyFollowUps.delete(key) });
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
