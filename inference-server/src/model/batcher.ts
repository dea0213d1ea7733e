/**
 * Micro-batching: concurrent classify calls are gathered for at most `maxWaitMs` or `maxBatch`
 * texts, whichever comes first, and run as one `session.run`, so a transformer-sized model keeps
 * its throughput under load while a lone request waits at most `maxWaitMs`.
 */
import type { Classification } from './runtime.js';

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
}

export type ClassifyMany = (texts: string[]) => Promise<Classification[]>;

interface Pending {
  texts: string[];
  resolve: (results: Classification[]) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: ClassifyMany,
    private readonly options: BatcherOptions,
  ) {}

  /** Classifies `texts` together with whatever other calls arrive in the same window. */
  classify(texts: string[]): Promise<Classification[]> {
    if (texts.length === 0) return Promise.resolve([]);
    // A call bigger than a batch runs alone: splitting it would only add waiting.
    if (texts.length >= this.options.maxBatch) return this.run(texts);
    return new Promise((resolve, reject) => {
      if (this.queued + texts.length > this.options.maxBatch) this.flush();
      this.queue.push({ texts, resolve, reject });
      this.queued += texts.length;
      if (this.queued >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return;
    this.run(batch.flatMap((pending) => pending.texts)).then(
      (results) => {
        let offset = 0;
        for (const pending of batch) {
          pending.resolve(results.slice(offset, offset + pending.texts.length));
          offset += pending.texts.length;
        }
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }
}
