/**
 * Lexicon features: a rule-based sentiment score of a text (VADER's rules: the valence of each
 * lexicon word, raised by intensifiers and ALL CAPS, flipped by a negation in the three words
 * before it, weighed by "but", raised by "!" and "??") turned into a feature token that is
 * appended to the text's token ids. Training and serving both append it here, so the ONNX graph
 * sees it as an ordinary token: the bundle's model.json names the features, the runtime computes
 * them.
 *
 * VADER: Hutto, C.J. & Gilbert, E.E. (2014), "VADER: A Parsimonious Rule-based Model for Sentiment
 * Analysis of Social Media Text", ICWSM-14. The lexicon (7,517 entries rated by people) is read
 * from the `vader-sentiment` npm package; the rules are ported from that package's
 * `src/vaderSentiment.js` (vaderSentiment-js, Copyright 2018 Comcast Cable Communications
 * Management, LLC, Apache License 2.0). Changed here: compound score only, computed per word in
 * one pass (the package's scorer takes about 0.5 ms a text, more than the whole model); words
 * lose any edge punctuation and negations are matched in lower case.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The feature set a bundle may name in model.json (`lexiconFeatures`). */
export const VADER_FEATURES = 'vader-compound-v1';

/**
 * The compound score's buckets, strongly negative to strongly positive: the token of the first
 * bucket whose upper bound the score lies below (VADER's own neutral band is ±0.05).
 */
export const VADER_BUCKETS: readonly { below: number; token: string }[] = [
  { below: -0.6, token: '[VADERNEGSTRONG]' },
  { below: -0.3, token: '[VADERNEGMID]' },
  { below: -0.05, token: '[VADERNEGWEAK]' },
  { below: 0.05, token: '[VADERNEUTRAL]' },
  { below: 0.3, token: '[VADERPOSWEAK]' },
  { below: 0.6, token: '[VADERPOSMID]' },
  { below: Infinity, token: '[VADERPOSSTRONG]' },
];

/**
 * How many times the bucket's token is appended: the model averages its input rows, so one token
 * among a text's many would weigh little (bench:default-model, GoEmotions test macro-F1 with 3,
 * 8 and 16 copies: 0.654, 0.672, 0.675; bench/RESULTS.md). The buckets and this count are what
 * `vader-compound-v1` means: changing either needs a new name, or served bundles change.
 */
export const VADER_REPEAT = 8;

export const VADER_TOKENS: readonly string[] = VADER_BUCKETS.map((bucket) => bucket.token);

let lexicon: ReadonlyMap<string, number> | undefined;

/** VADER's lexicon (lower-case word or emoticon → mean valence, −4 … +4), read once. */
export function vaderLexicon(): ReadonlyMap<string, number> {
  if (lexicon) return lexicon;
  const require = createRequire(import.meta.url);
  const file = path.join(
    path.dirname(require.resolve('vader-sentiment/package.json')),
    'vader_lexicon.txt',
  );
  const entries = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [word, valence] = line.split('\t');
    if (word && valence !== undefined) entries.set(word, Number(valence));
  }
  lexicon = entries;
  return entries;
}

const BOOST = 0.293;
const CAPS_BOOST = 0.733;
const NEGATION_FACTOR = -0.74;
const BOOSTERS: ReadonlyMap<string, number> = new Map([
  ...[
    'absolutely amazingly awfully completely considerably decidedly deeply effing enormously',
    'entirely especially exceptionally extremely fabulously flipping flippin fricking frickin',
    'frigging friggin fully fucking greatly hella highly hugely incredibly intensely majorly more',
    'most particularly purely quite really remarkably so substantially thoroughly totally',
    'tremendously uber unbelievably unusually utterly very',
  ]
    .join(' ')
    .split(' ')
    .map((word): [string, number] => [word, BOOST]),
  ...[
    'almost barely hardly kinda kindof kind-of less little marginally occasionally partly',
    'scarcely slightly somewhat sorta sortof sort-of',
  ]
    .join(' ')
    .split(' ')
    .map((word): [string, number] => [word, -BOOST]),
]);
/** Two-word dampeners ("kind of good"). */
const DAMPENING_PAIRS = new Set(['just enough', 'kind of', 'sort of']);
const IDIOMS: ReadonlyMap<string, number> = new Map([
  ['the shit', 3],
  ['the bomb', 3],
  ['bad ass', 1.5],
  ['yeah right', -2],
  ['cut the mustard', 2],
  ['kiss of death', -1.5],
  ['hand to mouth', -2],
]);
const NEGATIONS = new Set(
  [
    "aint arent cannot cant couldnt darent didnt doesnt ain't aren't can't couldn't daren't didn't",
    "doesn't dont hadnt hasnt havent isnt mightnt mustnt neither don't hadn't hasn't haven't isn't",
    "mightn't mustn't neednt needn't never none nope nor not nothing nowhere oughtnt shant",
    "shouldnt uhuh wasnt werent oughtn't shan't shouldn't uh-uh wasn't weren't without wont",
    "wouldnt won't wouldn't rarely seldom despite",
  ]
    .join(' ')
    .split(' '),
);

/** ASCII punctuation (Python's `string.punctuation`), which VADER strips from either end of a word. */
const PUNCTUATION = new Uint8Array(128);
for (const c of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') PUNCTUATION[c.charCodeAt(0)] = 1;
const isPunctuation = (code: number): boolean => code < 128 && PUNCTUATION[code] === 1;

/** A word without its edge punctuation ("good!" → "good"; all punctuation → ""). */
function stripEdgePunctuation(token: string): string {
  let start = 0;
  let end = token.length;
  while (start < end && isPunctuation(token.charCodeAt(start))) start++;
  while (end > start && isPunctuation(token.charCodeAt(end - 1))) end--;
  return start === 0 && end === token.length ? token : token.slice(start, end);
}

/** Written in capitals: a letter A–Z and no letter a–z. */
function isAllCaps(word: string): boolean {
  let upper = false;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 97 && c <= 122) return false;
    if (c >= 65 && c <= 90) upper = true;
  }
  return upper;
}

/** A text's words as VADER sees them: whitespace-separated, edge punctuation off, length ≥ 2. */
function vaderWords(text: string): string[] {
  const words: string[] = [];
  for (const token of text.split(/\s+/)) {
    if (token.length < 2) continue;
    const bare = stripEdgePunctuation(token);
    words.push(bare.length >= 2 ? bare : token);
  }
  return words;
}

const isNegation = (word: string): boolean => NEGATIONS.has(word) || word.includes("n't");

/** "never so …" / "never this …" starting at word `at`. */
const neverSoThis = (lower: readonly string[], at: number): boolean =>
  lower[at] === 'never' && (lower[at + 1] === 'so' || lower[at + 1] === 'this');

/**
 * VADER's compound score of a text, from −1 (most negative) to +1 (most positive); 0 for a text
 * without a lexicon word. It runs for every text the model reads, served or trained: one pass
 * over the words, context looked at only around lexicon words.
 */
export function vaderCompound(
  text: string,
  words: ReadonlyMap<string, number> = vaderLexicon(),
): number {
  const raw = vaderWords(text);
  if (raw.length === 0) return 0;
  const lower = new Array<string>(raw.length);
  const caps = new Array<boolean>(raw.length);
  let capsCount = 0;
  for (let i = 0; i < raw.length; i++) {
    lower[i] = raw[i]!.toLowerCase();
    caps[i] = isAllCaps(raw[i]!);
    if (caps[i]) capsCount++;
  }
  // ALL CAPS emphasises a word only when some other words are not in capitals.
  const capsEmphasis = capsCount > 0 && capsCount < raw.length;
  const butAt = lower.indexOf('but');
  let sum = 0;
  for (let i = 0; i < raw.length; i++) {
    const word = lower[i]!;
    let valence = words.get(word);
    if (valence === undefined || BOOSTERS.has(word) || (word === 'kind' && lower[i + 1] === 'of'))
      continue;
    if (capsEmphasis && caps[i]) valence += valence > 0 ? CAPS_BOOST : -CAPS_BOOST;
    for (let back = 1; back <= 3 && back <= i; back++) {
      const before = lower[i - back]!;
      if (words.has(before)) continue;
      let boost = BOOSTERS.get(before) ?? 0;
      if (boost !== 0) {
        if (valence < 0) boost = -boost;
        if (capsEmphasis && caps[i - back]) boost += valence > 0 ? CAPS_BOOST : -CAPS_BOOST;
        valence += boost * (back === 1 ? 1 : back === 2 ? 0.95 : 0.9);
      }
      if (back === 1) {
        if (isNegation(before)) valence *= NEGATION_FACTOR;
      } else if (back === 2) {
        if (neverSoThis(lower, i - 2)) valence *= 1.5;
        else if (isNegation(before)) valence *= NEGATION_FACTOR;
      } else {
        // VADER's own rule: "never so/this …" or any "so/this" right before the word.
        if (neverSoThis(lower, i - 3) || lower[i - 1] === 'so' || lower[i - 1] === 'this')
          valence *= 1.25;
        else if (isNegation(before)) valence *= NEGATION_FACTOR;
        valence = idiomValence(lower, i, valence);
      }
    }
    // "least good" is negated, "at least good" and "very least" are not.
    if (i > 0 && lower[i - 1] === 'least' && !words.has('least')) {
      const twoBack = lower[i - 2];
      if (i === 1 || (twoBack !== 'at' && twoBack !== 'very')) valence *= NEGATION_FACTOR;
    }
    if (butAt >= 0) valence *= i < butAt ? 0.5 : i > butAt ? 1.5 : 1;
    sum += valence;
  }
  if (sum !== 0) {
    const emphasis = punctuationEmphasis(text);
    sum += sum > 0 ? emphasis : -emphasis;
  }
  return Math.max(-1, Math.min(1, sum / Math.sqrt(sum * sum + 15)));
}

/** The idioms' and dampeners' words, compared word by word with a text's (no joined strings). */
const IDIOM_PHRASES = [...IDIOMS].map(([phrase, valence]) => ({
  words: phrase.split(' '),
  valence,
}));
const DAMPENING_PHRASES = [...DAMPENING_PAIRS].map((phrase) => phrase.split(' '));
/** The first words of the idioms and dampeners: a phrase can only start at one of them. */
const PHRASE_STARTS = new Set(
  [...IDIOM_PHRASES.map(({ words }) => words), ...DAMPENING_PHRASES].map((words) => words[0]!),
);

/** Whether words `from` up to `to` (exclusive) of the text are the phrase `words`. */
function isPhraseAt(lower: readonly string[], from: number, to: number, words: readonly string[]) {
  if (from < 0 || to > lower.length || to - from !== words.length) return false;
  for (let k = 0; k < words.length; k++) if (lower[from + k] !== words[k]) return false;
  return true;
}

/** The valence of the idiom that words `from` up to `to` (exclusive) are, if they are one. */
function idiomAt(lower: readonly string[], from: number, to: number): number | undefined {
  for (const { words, valence } of IDIOM_PHRASES)
    if (isPhraseAt(lower, from, to, words)) return valence;
  return undefined;
}

/** An idiom around word `i` replaces its valence; a two-word dampener before it lowers it. */
function idiomValence(lower: readonly string[], i: number, valence: number): number {
  // Every phrase looked at below starts at word i - 3, i - 2, i - 1 or i.
  let starts = false;
  for (let k = Math.max(0, i - 3); k <= i && !starts; k++) starts = PHRASE_STARTS.has(lower[k]!);
  if (!starts) return valence;
  for (const [from, to] of [
    [i - 1, i + 1],
    [i - 2, i + 1],
    [i - 2, i],
    [i - 3, i],
    [i - 3, i - 1],
  ] as const) {
    const idiom = idiomAt(lower, from, to);
    if (idiom !== undefined) {
      valence = idiom;
      break;
    }
  }
  valence = idiomAt(lower, i, i + 2) ?? valence;
  valence = idiomAt(lower, i, i + 3) ?? valence;
  if (
    DAMPENING_PHRASES.some(
      (words) => isPhraseAt(lower, i - 3, i - 1, words) || isPhraseAt(lower, i - 2, i, words),
    )
  )
    valence -= BOOST;
  return valence;
}

/** Up to four "!" add 0.292 each; two or three "?" 0.18 each, more 0.96. */
function punctuationEmphasis(text: string): number {
  let exclamations = 0;
  let questions = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 33) exclamations++;
    else if (c === 63) questions++;
  }
  const questionEmphasis = questions <= 1 ? 0 : questions <= 3 ? questions * 0.18 : 0.96;
  return Math.min(exclamations, 4) * 0.292 + questionEmphasis;
}

/** The feature token of a compound score. */
export function vaderToken(compound: number): string {
  return VADER_BUCKETS.find((bucket) => compound < bucket.below)!.token;
}

/** The feature tokens of a feature set, for the vocabulary; throws on an unknown name. */
export function lexiconFeatureTokens(features: string): readonly string[] {
  if (features !== VADER_FEATURES) {
    throw new Error(`unknown lexicon features ${features} (known: ${VADER_FEATURES})`);
  }
  return VADER_TOKENS;
}

/**
 * The token ids a feature set appends to a text (`VADER_REPEAT` copies of its bucket's token);
 * throws when the vocabulary lacks a feature token, so a bundle without them fails at load.
 */
export function lexiconFeatureIds(
  features: string,
  tokenToId: (token: string) => number | undefined,
): (text: string) => number[] {
  const ids = new Map(
    lexiconFeatureTokens(features).map((token) => {
      const id = tokenToId(token);
      if (id === undefined) throw new Error(`the vocabulary lacks the feature token ${token}`);
      return [token, id];
    }),
  );
  const words = vaderLexicon();
  return (text) =>
    Array<number>(VADER_REPEAT).fill(ids.get(vaderToken(vaderCompound(text, words)))!);
}
