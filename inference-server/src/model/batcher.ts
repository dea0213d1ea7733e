/**
 * Micro-batching without an artificial delay: when the model is idle a call runs at the end of
 * the event loop's current turn, with the calls made in the same turn (the requests read
 * together from the sockets); while a run is in flight, calls queue and go together as soon as
 * it finishes (or at `maxBatch` texts, or after `maxWaitMs`, whichever comes first). Under load
 * a transformer-sized model gets full batches; a lone request never waits for a timer.
 */
import type { Classification } from '../../../lib/model/runtime.js';

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
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly run: ClassifyMany,
    private readonly options: BatcherOptions,
  ) {}

  /** Classifies `texts`, together with whatever other calls are waiting. */
  classify(texts: string[]): Promise<Classification[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      if (this.queued > 0 && this.queued + texts.length > this.options.maxBatch) this.flush();
      this.queue.push({ texts, resolve, reject });
      this.queued += texts.length;
      if (this.queued >= this.options.maxBatch) this.flush();
      else if (this.inFlight === 0) this.immediate ??= setImmediate(() => this.flushWhenIdle());
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  private flushWhenIdle(): void {
    this.immediate = undefined;
    // A full batch may have started meanwhile: the rest then waits for it, as any queued call.
    if (this.inFlight === 0) this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queued = 0;
    if (batch.length === 0) return;
    this.inFlight++;
    this.run(batch.flatMap((pending) => pending.texts))
      .then(
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
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0 && this.queue.length > 0) this.flush();
      });
  }
}
