import { GroupCommitter, isRequestScopedDatabaseError } from './group-commit.js';

/** A commit that records its batches, answers each item doubled, and fails as told. */
function recorder(fail: (items: number[]) => Error | undefined = () => undefined) {
  const batches: number[][] = [];
  const commit = (items: number[]): Promise<(number | Error)[]> => {
    batches.push(items);
    const error = fail(items);
    if (error) return Promise.reject(error);
    return Promise.resolve(
      items.map((item) => (item < 0 ? new Error(`refused ${item}`) : item * 2)),
    );
  };
  return { batches, commit };
}

const pgError = (code: string): Error => Object.assign(new Error(`pg ${code}`), { code });

describe('GroupCommitter', () => {
  it('commits at once when idle, and the calls that arrive meanwhile together, each with its own answer', async () => {
    const { batches, commit } = recorder();
    const committer = new GroupCommitter(commit, { maxBatch: 10, isolate: () => false });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => committer.submit(n)));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(answers).toEqual([2, 4, 6, 8]);
  });

  it('never puts more than maxBatch calls in one transaction', async () => {
    const { batches, commit } = recorder();
    const committer = new GroupCommitter(commit, { maxBatch: 2, isolate: () => false });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => committer.submit(n)));
    expect(batches).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('runs up to maxInFlight transactions at once, the later calls gathered behind them', async () => {
    const { batches, commit } = recorder();
    const committer = new GroupCommitter(commit, {
      maxBatch: 10,
      maxInFlight: 2,
      isolate: () => false,
    });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => committer.submit(n)));
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
    expect(answers).toEqual([2, 4, 6, 8, 10]);
  });

  it('rejects only the call the commit answered with an error', async () => {
    const { commit } = recorder();
    const committer = new GroupCommitter(commit, { maxBatch: 10, isolate: () => false });
    const outcomes = await Promise.allSettled([1, 2, -3, 4].map((n) => committer.submit(n)));
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
  });

  it('retries a batch one call per transaction when its error may come from one call', async () => {
    const { batches, commit } = recorder((items) =>
      items.includes(13) ? pgError('23514') : undefined,
    );
    const committer = new GroupCommitter(commit, {
      maxBatch: 10,
      isolate: isRequestScopedDatabaseError,
    });
    const outcomes = await Promise.allSettled([1, 2, 13, 4].map((n) => committer.submit(n)));
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'fulfilled', value: 4 },
      { status: 'rejected', reason: pgError('23514') },
      { status: 'fulfilled', value: 8 },
    ]);
    expect(batches).toEqual([[1], [2, 13, 4], [2], [13], [4]]);
  });

  it('fails the whole batch at once on an error no single call caused', async () => {
    let down = false;
    const { batches, commit } = recorder(() => (down ? pgError('08006') : undefined));
    const committer = new GroupCommitter(commit, {
      maxBatch: 10,
      isolate: isRequestScopedDatabaseError,
    });
    const first = committer.submit(1);
    down = true;
    const rest = [2, 3].map((n) => committer.submit(n));
    await first;
    const outcomes = await Promise.allSettled(rest);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(batches).toEqual([[1], [2, 3]]);
  });
});

describe('isRequestScopedDatabaseError', () => {
  it('isolates data, constraint and rollback errors, not connection or server errors', () => {
    expect(
      ['22P02', '23505', '23514', '40P01'].map((c) => isRequestScopedDatabaseError(pgError(c))),
    ).toEqual([true, true, true, true]);
    expect(
      ['08006', '57P01', '53300', 'ECONNREFUSED'].map((c) =>
        isRequestScopedDatabaseError(pgError(c)),
      ),
    ).toEqual([false, false, false, false]);
    expect(isRequestScopedDatabaseError(new Error('no code'))).toBe(false);
  });
});
