import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { buildWordPiece } from '../../pipelines/src/train/wordpiece.js';
import { readRealTrainingData } from '../../pipelines/src/train/real-data.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

/** tokenizers.js as published, without the string steps `loadTokenizer` puts in. */
const libraryTokenizer = (json: object): TextTokenizer =>
  new (Tokenizer as new (json: object, config: object) => TextTokenizer)(json, {});

const realTexts = (await readRealTrainingData()).map((example) => example.text);
const json = buildWordPiece(realTexts.slice(0, 4000), { vocabSize: 4000, minWordFrequency: 2 });
/** The same vocabulary under every combination of the BERT normalizer's options. */
const variants = [true, false].flatMap((lowercase) =>
  [null, true, false].flatMap((stripAccents) =>
    [true, false].map((flags) => ({
      ...json,
      normalizer: {
        type: 'BertNormalizer',
        clean_text: flags,
        handle_chinese_chars: flags,
        strip_accents: stripAccents,
        lowercase,
      },
    })),
  ),
);

/** Letters, accents, CJK, controls, odd spaces, emoji, lone surrogates and added tokens. */
const awkward = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }),
    fc.constantFrom(
      'é',
      'Ö',
      'e\u0301',
      'ß',
      'İ',
      '中文',
      '\u3400',
      '\uF900',
      '\u0000',
      '\u0085',
      '\u00A0',
      '\u2028',
      '\u200B',
      '\uFEFF',
      '\uFFFD',
      '\t\n\r\v\f',
      '😀',
      '\u{E0001}',
      '\u{F0000}',
      '\uD800',
      '\uDC00x',
      '[UNK]',
      '[PAD]',
      '[',
      '##',
      'refund',
      'a'.repeat(101),
      'é'.repeat(101),
    ),
    fc.string({ unit: 'binary', maxLength: 4 }),
  ),
  maxLength: 30,
});

describe('loadTokenizer', () => {
  it('tokenizes every real training text exactly as tokenizers.js does', () => {
    const ours = loadTokenizer(json);
    const library = libraryTokenizer(json);
    for (const text of realTexts) expect(ours.encode(text).ids).toEqual(library.encode(text).ids);
  });

  it('matches tokenizers.js on awkward text under every BERT normalizer option', () => {
    for (const variant of variants) {
      const ours = loadTokenizer(variant);
      const library = libraryTokenizer(variant);
      fc.assert(
        fc.property(awkward, (text) => {
          expect(ours.tokenize(text)).toEqual(library.tokenize(text));
          expect(ours.normalizer!.normalize(text)).toBe(library.normalizer!.normalize(text));
        }),
        { numRuns: 300 },
      );
    }
  });
});
