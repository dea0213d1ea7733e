import { padBatch } from './runtime.js';

describe('padBatch', () => {
  it('pads to the longest sequence with the pad id, and masks the padding', () => {
    const { inputIds, attentionMask, batch, sequence } = padBatch([[5, 7, 2 ** 31 - 1], [9]], 3);
    expect([batch, sequence]).toEqual([2, 3]);
    expect([...inputIds]).toEqual([5n, 7n, 2n ** 31n - 1n, 9n, 3n, 3n]);
    expect([...attentionMask]).toEqual([1n, 1n, 1n, 1n, 0n, 0n]);
  });

  it('writes negative ids as int64 (a pad id of -1 stays -1)', () => {
    expect([...padBatch([[1, 2], []], -1).inputIds]).toEqual([1n, 2n, -1n, -1n]);
  });

  it('keeps one column for a batch of empty sequences', () => {
    const { inputIds, attentionMask, sequence } = padBatch([[], []], 0);
    expect(sequence).toBe(1);
    expect([...inputIds]).toEqual([0n, 0n]);
    expect([...attentionMask]).toEqual([0n, 0n]);
  });
});
