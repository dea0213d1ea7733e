import { createRequire } from 'node:module';
import {
  VADER_FEATURES,
  VADER_REPEAT,
  VADER_TOKENS,
  lexiconFeatureIds,
  vaderCompound,
  vaderLexicon,
  vaderToken,
} from './lexicon.js';

/** The package's own scorer (CommonJS, untyped). */
const vader = createRequire(import.meta.url)('vader-sentiment') as {
  SentimentIntensityAnalyzer: { polarity_scores(text: string): { compound: number } };
};
const packageCompound = (text: string): number =>
  vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;

describe('vaderCompound', () => {
  it("reads VADER's lexicon from its npm package", () => {
    expect(vaderLexicon().size).toBeGreaterThan(7000);
    expect(vaderLexicon().get('good')).toBeGreaterThan(0);
    expect(vaderLexicon().get('terrible')).toBeLessThan(0);
  });

  it('applies the rules: negation, intensifiers, capitals, "but", exclamation marks', () => {
    const good = vaderCompound('the service was good');
    expect(good).toBeGreaterThan(0.05);
    expect(vaderCompound('the service was not good')).toBeLessThan(-0.05);
    expect(vaderCompound("the service wasn't good at all")).toBeLessThan(-0.05);
    expect(vaderCompound('the service was very good')).toBeGreaterThan(good);
    expect(vaderCompound('the service was GOOD')).toBeGreaterThan(good);
    expect(vaderCompound('the service was good!!!')).toBeGreaterThan(good);
    expect(vaderCompound('the seats were fine but the delay was terrible')).toBeLessThan(-0.05);
    expect(vaderCompound('the flight leaves at 7 from gate 12')).toBe(0);
    expect(vaderCompound('')).toBe(0);
  });

  it("agrees with the vader-sentiment package's scorer on plain sentences", () => {
    for (const text of [
      'the service was good',
      'the service was not good',
      'the crew was very friendly and helpful',
      'the food was kind of bad',
      'i am extremely disappointed with this airline',
      'the seats were fine but the delay was terrible',
      'never so happy to land',
      'thanks for the quick refund',
      'lost my bag again and nobody answers the phone',
    ]) {
      expect(vaderCompound(text)).toBeCloseTo(packageCompound(text), 3);
    }
  });

  it('strips edge punctuation, reads capitals by letters, and finds idioms only near their words', () => {
    expect(vaderCompound('"good!!"')).toBe(vaderCompound('good!!'));
    expect(vaderCompound('(terrible)')).toBe(vaderCompound('terrible'));
    expect(vaderCompound('!!! ???')).toBe(0);
    // Capitals emphasise a word with no lower-case letter, unless every word is in capitals.
    expect(vaderCompound('the service was GOOD!')).toBeGreaterThan(
      vaderCompound('the service was good!'),
    );
    expect(vaderCompound('THE SERVICE WAS GOOD!')).toBe(vaderCompound('the service was good!'));
    expect(vaderCompound('the service was gOOD')).toBe(vaderCompound('the service was good'));
    // An idiom replaces the valence of the word it contains; a dampener lowers it.
    expect(vaderCompound('oh yeah right great')).toBeLessThan(vaderCompound('oh yeah so great'));
    expect(vaderCompound('it was sort of good')).toBeLessThan(vaderCompound('it was really good'));
  });
});

describe('lexiconFeatureIds', () => {
  const vocab = new Map(VADER_TOKENS.map((token, i) => [token, 100 + i]));

  it("appends the bucket's token, repeated", () => {
    const ids = lexiconFeatureIds(VADER_FEATURES, (token) => vocab.get(token));
    expect(ids('this is terrible, I hate it')).toEqual(
      Array(VADER_REPEAT).fill(vocab.get(vaderToken(-0.9))),
    );
    expect(ids('the flight leaves at 7')).toEqual(
      Array(VADER_REPEAT).fill(vocab.get('[VADERNEUTRAL]')),
    );
    expect(vaderToken(0.05)).toBe('[VADERPOSWEAK]');
    expect(vaderToken(0.9)).toBe('[VADERPOSSTRONG]');
  });

  it('refuses an unknown feature set and a vocabulary without the feature tokens', () => {
    expect(() => lexiconFeatureIds('afinn-v9', (token) => vocab.get(token))).toThrow(
      /unknown lexicon features afinn-v9 \(known: vader-compound-v1\)/,
    );
    expect(() => lexiconFeatureIds(VADER_FEATURES, () => undefined)).toThrow(
      /lacks the feature token \[VADERNEGSTRONG\]/,
    );
  });
});
