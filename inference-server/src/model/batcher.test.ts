import { MicroBatcher } from './batcher.js';
import type { Classification } from '../../../lib/model/runtime.js';

function recorder(): { calls: string[][]; run: (texts: string[]) => Promise<Classification[]> } {
  const calls: string[][] = [];
  return {
    calls,
    run: (texts) => {
      calls.push(texts);
      return Promise.resolve(texts.map((text) => ({ echo: { label: text, confidence: 1 } })));
    },
  };
}

// maxWaitMs is far beyond jest's timeout: a batcher that waited on its timer would fail here.
describe('MicroBatcher', () => {
  it('runs a call at once when idle, and gathers the calls that arrive meanwhile into one run', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 10, maxWaitMs: 600_000 });
    const results = await Promise.all([
      batcher.classify(['a']),
      batcher.classify(['b', 'c']),
      batcher.classify(['d']),
    ]);
    expect(calls).toEqual([['a'], ['b', 'c', 'd']]);
    expect(results.map((r) => r.map((x) => x.echo!.label))).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('starts another run when the queue fills a batch, and never mixes past the bound', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 3, maxWaitMs: 600_000 });
    await Promise.all([
      batcher.classify(['a', 'b']),
      batcher.classify(['c']),
      batcher.classify(['d', 'e']),
      batcher.classify(['f']),
    ]);
    expect(calls).toEqual([['a', 'b'], ['c', 'd', 'e'], ['f']]);
  });

  it('passes an error to every caller of the failed batch', async () => {
    const batcher = new MicroBatcher(() => Promise.reject(new Error('session failed')), {
      maxBatch: 4,
      maxWaitMs: 1,
    });
    const outcomes = await Promise.allSettled([batcher.classify(['a']), batcher.classify(['b'])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
