import { WorkQueue } from './queue.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A queue with one worker that records the keys it takes and holds the first until released. */
function oneWorkerHeldOnFirstKey() {
  const queue = new WorkQueue();
  const seen: string[] = [];
  let releaseFirst: () => void = () => {};
  const running = queue.run(
    async (key) => {
      seen.push(key);
      if (seen.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
    },
    () => {},
  );
  return { queue, seen, release: () => releaseFirst(), running };
}

describe('WorkQueue', () => {
  it('does not queue a waiting key twice, and reruns a key changed while it was being worked on', async () => {
    const { queue, seen, release, running } = oneWorkerHeldOnFirstKey();
    queue.add('ns/a');
    await settle();
    queue.add('ns/a'); // while active: marked dirty
    queue.add('ns/b');
    queue.add('ns/b'); // already waiting: ignored
    release();
    await settle();
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/a']);
    queue.stop();
    await running;
  });

  it('takes follow-ups before the keys that were waiting, and moves a waiting key up when it becomes one', async () => {
    const { queue, seen, release, running } = oneWorkerHeldOnFirstKey();
    queue.add('ns/busy');
    await settle();
    queue.add('ns/new-1');
    queue.add('ns/new-2');
    queue.add('ns/new-3');
    queue.add('ns/started', { followUp: true });
    queue.add('ns/new-3', { followUp: true }); // waiting: moves up behind ns/started
    queue.add('ns/busy', { followUp: true }); // active: runs again after, as a follow-up
    release();
    await settle();
    expect(seen).toEqual(['ns/busy', 'ns/started', 'ns/new-3', 'ns/busy', 'ns/new-1', 'ns/new-2']);
    queue.stop();
    await running;
  });

  it('leaves no timer behind once stopped, even from a reconcile that was running then', async () => {
    const queue = new WorkQueue({ baseMs: 5, maxMs: 100 });
    const releases: (() => void)[] = [];
    const running = queue.run(
      async (key) => {
        await new Promise<void>((resolve) => releases.push(resolve));
        // As a reconcile of a canary paused for an hour does when it returns.
        queue.addAfter(key, 3_600_000);
        if (key === 'ns/fails') throw new Error('conflict');
      },
      () => {},
      2,
    );
    queue.addAfter('ns/later', 3_600_000);
    queue.add('ns/paused');
    queue.add('ns/fails'); // its error would schedule a retry
    await settle();
    expect(queue.scheduled).toBe(1);
    queue.stop();
    expect(queue.scheduled).toBe(0);
    for (const release of releases) release();
    await running;
    expect(queue.scheduled).toBe(0);
  });

  it('retries a failing key with exponential backoff', async () => {
    const queue = new WorkQueue({ baseMs: 5, maxMs: 100 });
    const delays: number[] = [];
    let attempts = 0;
    const running = queue.run(
      () => {
        attempts++;
        return attempts < 4 ? Promise.reject(new Error('conflict')) : Promise.resolve();
      },
      (_key, _error, retryInMs) => delays.push(retryInMs),
    );
    queue.add('ns/p');
    for (let i = 0; i < 50 && attempts < 4; i++) await settle();
    expect(attempts).toBe(4);
    expect(delays).toEqual([5, 10, 20]);
    queue.stop();
    await running;
  });

  it('works different keys at once with several workers, never one key twice at once', async () => {
    const queue = new WorkQueue();
    const active = new Set<string>();
    let most = 0;
    let overlapOfOneKey = false;
    const releases: (() => void)[] = [];
    const running = queue.run(
      async (key) => {
        if (active.has(key)) overlapOfOneKey = true;
        active.add(key);
        most = Math.max(most, active.size);
        await new Promise<void>((resolve) => releases.push(resolve));
        active.delete(key);
      },
      () => {},
      3,
    );
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await settle();
    expect(active.size).toBe(3); // the fourth waits for a free worker
    queue.add('a'); // while a runs: again after, not beside it
    while (releases.length > 0 || active.size > 0) {
      releases.shift()?.();
      await settle();
    }
    expect(most).toBe(3);
    expect(overlapOfOneKey).toBe(false);
    queue.stop();
    await running;
  });
});
