import { WorkQueue } from './queue.js';

/**
 * Waits until `reached` holds, letting the queue's workers run in between (no fixed sleep: a
 * loaded machine only makes it take longer); fails after `timeoutMs`.
 */
async function until(what: string, reached: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!reached()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A queue with one worker that records the keys it takes and holds the first until released. */
function oneWorkerHeldOnFirstKey(queue = new WorkQueue()) {
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
    await until('ns/a taken', () => seen.length === 1);
    queue.add('ns/b');
    queue.add('ns/a'); // while active: marked dirty
    queue.add('ns/b'); // already waiting: ignored
    release();
    await until('three keys taken', () => seen.length >= 3 && queue.depth === 0);
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/a']);
    queue.stop();
    await running;
  });

  it('takes the key whose work began first, moves a waiting key up when its work began earlier, and keeps the earliest start of a key added while active', async () => {
    let now = 1_000;
    const { queue, seen, release, running } = oneWorkerHeldOnFirstKey(
      new WorkQueue({ clock: () => now }),
    );
    queue.add('ns/busy', { since: 100 });
    await until('ns/busy taken', () => seen.length === 1);
    now = 2_000;
    queue.add('ns/new-1'); // began now (2,000): behind everything that began earlier
    queue.add('ns/new-2', { since: 1_500 });
    queue.add('ns/new-3');
    queue.add('ns/started', { since: 200 });
    queue.add('ns/new-3', { since: 300 }); // waiting: moves up behind ns/started
    queue.add('ns/new-2', { since: 1_900 }); // began later than its place says: stays
    queue.add('ns/busy', { since: 100 }); // active: runs again after, at its place
    queue.add('ns/busy'); // a later start does not move it back
    release();
    await until('six keys taken', () => seen.length >= 6 && queue.depth === 0);
    expect(seen).toEqual(['ns/busy', 'ns/busy', 'ns/started', 'ns/new-3', 'ns/new-2', 'ns/new-1']);
    queue.stop();
    await running;
  });

  it('takes keys that began at the same time in the order added, and reports how long each waited', async () => {
    let now = 0;
    const waited: [string, number][] = [];
    const queue = new WorkQueue({
      clock: () => now,
      onTake: (key, waitedMs) => waited.push([key, waitedMs]),
    });
    queue.add('ns/a', { since: 0 });
    queue.add('ns/b', { since: 0 });
    now = 40;
    queue.add('ns/c', { since: 0 });
    now = 100;
    const seen: string[] = [];
    const running = queue.run(
      (key) => {
        seen.push(key);
        return Promise.resolve();
      },
      () => {},
    );
    await until('three keys taken', () => seen.length === 3);
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(waited).toEqual([
      ['ns/a', 100],
      ['ns/b', 100],
      ['ns/c', 60],
    ]);
    queue.stop();
    await running;
  });

  it('leaves no timer behind once stopped, even from a reconcile that was running then', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 5, maxMs: 100 } });
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
    await until('both reconciles running', () => releases.length === 2);
    expect(queue.scheduled).toBe(1);
    queue.stop();
    expect(queue.scheduled).toBe(0);
    for (const release of releases) release();
    await running;
    expect(queue.scheduled).toBe(0);
  });

  it('retries a failing key with exponential backoff', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 5, maxMs: 100 } });
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
    await until('the fourth attempt', () => attempts >= 4);
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
    await until('three workers busy', () => active.size === 3);
    expect(active.size).toBe(3); // the fourth waits for a free worker
    queue.add('a'); // while a runs: again after, not beside it
    // a, b, c, then d and a again: five reconciles, released one at a time.
    for (let released = 0; released < 5; released++) {
      await until('a reconcile waiting', () => releases.length > 0);
      releases.shift()!();
    }
    await until('every worker free', () => active.size === 0);
    expect(most).toBe(3);
    expect(overlapOfOneKey).toBe(false);
    queue.stop();
    await running;
  });
});
