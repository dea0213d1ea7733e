/**
 * Group commit: concurrent calls share one transaction, so one WAL flush makes many answers
 * durable. Like the model's micro-batcher there is no artificial delay: when fewer than
 * `maxInFlight` transactions run, a call goes at once; otherwise calls queue and go together as
 * soon as one ends (at most `maxBatch` per transaction). A batch whose transaction fails for a reason one
 * request may have caused (bad data, a constraint, a deadlock) is retried one request per
 * transaction, so that request fails alone and its neighbours are stored.
 */

/** Commits a batch; answers each item, in order, with its result or its own error. */
export type CommitBatch<Item, Result> = (items: Item[]) => Promise<(Result | Error)[]>;

export interface GroupCommitOptions {
  maxBatch: number;
  /** Transactions committing at once (default 1). */
  maxInFlight?: number;
  /** True when the batch's error may come from one item: retry the items one by one. */
  isolate: (error: unknown) => boolean;
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter<Item, Result> {
  private queue: Pending<Item, Result>[] = [];
  private inFlight = 0;

  constructor(
    private readonly commit: CommitBatch<Item, Result>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Resolves once the transaction holding `item` has committed. */
  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight < (this.options.maxInFlight ?? 1)) void this.drain();
    });
  }

  /** How many calls wait for the next transaction. */
  get waiting(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        await this.commitBatch(batch);
      }
    } finally {
      this.inFlight--;
    }
  }

  private async commitBatch(batch: Pending<Item, Result>[]): Promise<void> {
    let outcomes: (Result | Error)[];
    try {
      outcomes = await this.commit(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length > 1 && this.options.isolate(error)) {
        for (const pending of batch) await this.commitBatch([pending]);
      } else for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) pending.reject(outcome);
      else pending.resolve(outcome as Result);
    });
  }
}

/**
 * PostgreSQL errors that one request's data can cause: data exceptions (22), integrity
 * violations (23), and transaction rollbacks such as a deadlock (40). Connection and server
 * errors fail the whole batch: retrying each request alone would only repeat them.
 */
export function isRequestScopedDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|40)/.test(code);
}
