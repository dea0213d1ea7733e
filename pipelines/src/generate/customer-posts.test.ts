import { generateCustomerPosts } from './customer-posts.js';

describe('generated customer posts', () => {
  const posts = generateCustomerPosts({ n: 3000, seed: 7 });

  it('is deterministic per seed, and post i does not depend on n', () => {
    expect(generateCustomerPosts({ n: 3000, seed: 7 })).toEqual(posts);
    expect(generateCustomerPosts({ n: 10, seed: 7 })).toEqual(posts.slice(0, 10));
    expect(generateCustomerPosts({ n: 10, seed: 8 })).not.toEqual(posts.slice(0, 10));
  });

  it('follows the sentiment mix, leaning negative by default', () => {
    const share = (sentiment: string) =>
      posts.filter((post) => post.sentiment === sentiment).length / posts.length;
    expect(share('negative')).toBeCloseTo(0.45, 1);
    expect(share('neutral')).toBeCloseTo(0.3, 1);
    expect(share('positive')).toBeCloseTo(0.25, 1);
    const allNeutral = generateCustomerPosts({ n: 50, seed: 1, weights: [0, 1, 0] });
    expect(allNeutral.every((post) => post.sentiment === 'neutral')).toBe(true);
  });

  it('writes negative posts that state only facts, without a feeling word', () => {
    const negative = posts.filter((post) => post.sentiment === 'negative').map((p) => p.text);
    const feelings = /frustrat|annoy|angry|hate|terrible|awful|unacceptable|ridiculous|useless/i;
    const factsOnly = negative.filter((text) => !feelings.test(text));
    expect(factsOnly.length / negative.length).toBeGreaterThan(0.5);
    expect(factsOnly.some((text) => /on hold|delayed|refund|twice|no reply/i.test(text))).toBe(
      true,
    );
  });

  it('writes neutral questions about the same topics as the complaints', () => {
    const neutral = posts.filter((post) => post.sentiment === 'neutral').map((p) => p.text);
    expect(neutral.some((text) => /refund/i.test(text) && text.includes('?'))).toBe(true);
    expect(neutral.some((text) => /delayed|cancelled/i.test(text))).toBe(true);
  });

  it('writes the way people post: mentions, hashtags, abbreviations, capitals, no final stop', () => {
    const texts = posts.map((post) => post.text);
    expect(texts.some((text) => text.startsWith('@'))).toBe(true);
    expect(texts.some((text) => / #\w+/.test(text))).toBe(true);
    expect(texts.some((text) => /\b(pls|thx|hrs|ur)\b/.test(text))).toBe(true);
    expect(texts.some((text) => /[A-Z]{5,} [A-Z]{3,}/.test(text))).toBe(true);
    expect(texts.some((text) => /[a-z0-9]$/.test(text))).toBe(true);
    expect(texts.every((text) => !/\{\w+\}/.test(text))).toBe(true);
  });

  it('rejects invalid options', () => {
    expect(() => generateCustomerPosts({ n: -1, seed: 1 })).toThrow(RangeError);
    expect(() => generateCustomerPosts({ n: 1, seed: 1.5 })).toThrow(RangeError);
  });
});
