/**
 * The model being served, replaceable while serving: a new bundle loads beside the old one and
 * takes over atomically; requests in flight finish on the model they started with, and the old
 * session is released once they are done. Nothing is dropped.
 */
import { MicroBatcher, type BatcherOptions } from './batcher.js';
import {
  ModelRuntime,
  type Classification,
  type RuntimeOptions,
} from '../../../lib/model/runtime.js';

interface Serving {
  runtime: ModelRuntime;
  batcher: MicroBatcher;
  inFlight: number;
  retired: boolean;
}

export class ModelHolder {
  private current: Serving | undefined;
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly batching: BatcherOptions,
    private readonly runtimeOptions: RuntimeOptions = {},
    private readonly onSwap?: (previous: string | undefined, next: string) => void,
  ) {}

  get ready(): boolean {
    return this.current !== undefined;
  }

  get runtime(): ModelRuntime | undefined {
    return this.current?.runtime;
  }

  /** Loads the bundle in `dir` and swaps it in; loads are serialized. Throws (and keeps the old model) when it does not load. */
  load(dir: string): Promise<void> {
    const next = this.loading.then(async () => {
      const runtime = await ModelRuntime.load(dir, this.runtimeOptions);
      const serving: Serving = {
        runtime,
        batcher: new MicroBatcher(
          (texts) => runtime.classify(texts, { allScores: true }),
          this.batching,
        ),
        inFlight: 0,
        retired: false,
      };
      const previous = this.current;
      this.current = serving;
      this.onSwap?.(previous?.runtime.version, runtime.version);
      if (previous) await this.retire(previous);
    });
    this.loading = next.catch(() => {});
    return next;
  }

  /** Classifies with the current model; the result carries the version that produced it. */
  async classify(texts: string[]): Promise<{ version: string; results: Classification[] }> {
    const serving = this.current;
    if (!serving) throw new Error('no model is loaded yet');
    serving.inFlight++;
    try {
      return { version: serving.runtime.version, results: await serving.batcher.classify(texts) };
    } finally {
      serving.inFlight--;
      if (serving.retired && serving.inFlight === 0)
        await serving.runtime.release().catch(() => {});
    }
  }

  private async retire(serving: Serving): Promise<void> {
    serving.retired = true;
    if (serving.inFlight === 0) await serving.runtime.release().catch(() => {});
  }

  async close(): Promise<void> {
    await this.loading;
    if (this.current) await this.retire(this.current);
    this.current = undefined;
  }
}
