import { WorkQueue } from './queue.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('WorkQueue', () => {
  it('does not queue a waiting key twice, and reruns a key changed while it was being worked on', async () => {
    const queue = new WorkQueue();
    const seen: string[] = [];
    let release: () => void = () => {};
    const running = queue.run(
      async (key) => {
        seen.push(key);
        if (seen.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      () => {},
    );
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
});
