/**
 * Builds a WordPiece vocabulary from training text and writes it as a Hugging Face
 * `tokenizer.json` (BERT normalizer and pre-tokenizer, WordPiece model). Words are split by the
 * same @huggingface/tokenizers code the runtime uses, so training and serving see one tokenization.
 */
import { loadTokenizer, type TextTokenizer } from '../../../lib/model/tokenizer.js';

export const PAD = '[PAD]';
export const UNK = '[UNK]';
const SPECIAL_TOKENS = [PAD, UNK, '[CLS]', '[SEP]'];
const SUBWORD_PREFIX = '##';

export interface WordPieceOptions {
  /** Upper bound on the vocabulary size (special tokens and characters included). */
  vocabSize: number;
  /** Words seen fewer times are not whole tokens (they are spelled with pieces). */
  minWordFrequency: number;
  /**
   * Tokens that no text produces but a model's features add to its input (lexicon features),
   * placed after the special tokens; default none.
   */
  featureTokens?: readonly string[];
}

export type TokenizerJson = Record<string, unknown> & {
  model: Record<string, unknown> & { vocab: Record<string, number> };
};

function tokenizerJson(vocab: Record<string, number>): TokenizerJson {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: SUBWORD_PREFIX, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: UNK,
      continuing_subword_prefix: SUBWORD_PREFIX,
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Splits text into normalized words exactly as the tokenizer does before WordPiece. */
export function wordSplitter(): (text: string) => string[] {
  const tokenizer: TextTokenizer = loadTokenizer(tokenizerJson({ [PAD]: 0, [UNK]: 1 }));
  const normalizer = tokenizer.normalizer!;
  const preTokenizer = tokenizer.pre_tokenizer!;
  return (text) => preTokenizer.pre_tokenize(normalizer.normalize(text));
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/**
 * Frequent words become whole tokens; every character seen (alone and as a `##` continuation)
 * keeps any word spellable; the rest of the budget goes to the most frequent word-initial and
 * continuation pieces of the words that did not make it, so rare words split into a few
 * meaningful pieces instead of single letters.
 */
export function buildWordPiece(texts: Iterable<string>, options: WordPieceOptions): TokenizerJson {
  const split = wordSplitter();
  const wordCounts = new Map<string, number>();
  for (const text of texts) for (const word of split(text)) increment(wordCounts, word, 1);

  // A Map, not a plain object: `token in {}` is true for "constructor" and the other names
  // of Object.prototype, which then never became tokens.
  const vocab = new Map<string, number>();
  let size = 0;
  const add = (token: string): void => {
    if (!vocab.has(token)) vocab.set(token, size++);
  };
  SPECIAL_TOKENS.forEach(add);
  options.featureTokens?.forEach(add);
  const characters = new Set<string>();
  for (const word of wordCounts.keys()) for (const char of word) characters.add(char);
  for (const char of [...characters].sort()) {
    add(char);
    add(SUBWORD_PREFIX + char);
  }

  const byFrequency = [...wordCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const budget = options.vocabSize - size;
  const wholeWords = byFrequency
    .filter(([word, count]) => count >= options.minWordFrequency && [...word].length > 1)
    .slice(0, Math.floor(budget * 0.8));
  for (const [word] of wholeWords) add(word);

  const pieceCounts = new Map<string, number>();
  const whole = new Set(wholeWords.map(([word]) => word));
  for (const [word, count] of byFrequency) {
    if (whole.has(word)) continue;
    const chars = [...word];
    for (let length = 2; length <= Math.min(6, chars.length); length++) {
      increment(pieceCounts, chars.slice(0, length).join(''), count);
      for (let start = 1; start + length <= chars.length; start++) {
        increment(pieceCounts, SUBWORD_PREFIX + chars.slice(start, start + length).join(''), count);
      }
    }
  }
  const pieces = [...pieceCounts]
    .filter(([piece, count]) => count >= 2 && !vocab.has(piece))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, Math.max(0, options.vocabSize - size));
  for (const [piece] of pieces) add(piece);
  // Object.fromEntries defines own properties, so even "__proto__" is an ordinary key.
  return tokenizerJson(Object.fromEntries(vocab));
}
