import { MicroBatcher, type ClassifyMany } from './batcher.js';
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

/** A run that finishes when the test releases it, so calls can arrive while it is in flight. */
function gated(): { calls: string[][]; release: () => void; run: ClassifyMany } {
  const calls: string[][] = [];
  const releases: (() => void)[] = [];
  return {
    calls,
    release: () => releases.shift()!(),
    run: (texts) => {
      calls.push(texts);
      return new Promise((resolve) =>
        releases.push(() =>
          resolve(texts.map((text) => ({ echo: { label: text, confidence: 1 } }))),
        ),
      );
    },
  };
}

const endOfTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// maxWaitMs is far beyond jest's timeout: a batcher that waited on its timer would fail here.
describe('MicroBatcher', () => {
  it('runs the calls of one event-loop turn together when idle, and gathers the calls made during a run into the next', async () => {
    const { calls, release, run } = gated();
    const batcher = new MicroBatcher(run, { maxBatch: 10, maxWaitMs: 600_000 });
    const first = [batcher.classify(['a']), batcher.classify(['b', 'c'])];
    expect(calls).toEqual([]);
    await endOfTurn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    const second = [batcher.classify(['d']), batcher.classify(['e'])];
    await endOfTurn();
    expect(calls).toHaveLength(1);
    release();
    const results = await Promise.all(first);
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    release();
    results.push(...(await Promise.all(second)));
    expect(results.map((r) => r.map((x) => x.echo!.label))).toEqual([
      ['a'],
      ['b', 'c'],
      ['d'],
      ['e'],
    ]);
  });

  it('runs a lone call in the turn it is made, without its timer', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 10, maxWaitMs: 600_000 });
    expect(await batcher.classify(['alone'])).toEqual([
      { echo: { label: 'alone', confidence: 1 } },
    ]);
    expect(calls).toEqual([['alone']]);
  });

  it('starts a run as soon as the queue fills a batch, and never mixes past the bound', async () => {
    const { calls, run } = recorder();
    const batcher = new MicroBatcher(run, { maxBatch: 3, maxWaitMs: 600_000 });
    await Promise.all([
      batcher.classify(['a', 'b']),
      batcher.classify(['c']),
      batcher.classify(['d', 'e']),
      batcher.classify(['f']),
      batcher.classify(['g', 'h']),
    ]);
    expect(calls).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
      ['g', 'h'],
    ]);
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
