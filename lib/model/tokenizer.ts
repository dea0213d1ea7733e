/**
 * The one place that constructs Hugging Face tokenizers (@huggingface/tokenizers, tokenizers.js).
 * Its published type declarations do not resolve under NodeNext (extensionless imports in an
 * ESM package), so the part of its API we rely on is typed here.
 */
import { Tokenizer } from '@huggingface/tokenizers';

export interface TextTokenizer {
  encode(
    text: string,
    options?: { add_special_tokens?: boolean },
  ): {
    ids: number[];
    tokens: string[];
    attention_mask: number[];
  };
  tokenize(text: string): string[];
  token_to_id(token: string): number | undefined;
  /** Null when the tokenizer adds no special tokens around a sequence. */
  post_processor: object | null;
  normalizer: { normalize(text: string): string } | null;
  pre_tokenizer: { pre_tokenize(text: string): string[] } | null;
}

type TokenizerConstructor = new (tokenizerJson: object, tokenizerConfig: object) => TextTokenizer;

/** Loads a parsed `tokenizer.json` (and optionally its `tokenizer_config.json`). */
export function loadTokenizer(tokenizerJson: object, tokenizerConfig: object = {}): TextTokenizer {
  const tokenizer = new (Tokenizer as TokenizerConstructor)(tokenizerJson, tokenizerConfig);
  withStringSteps(tokenizer);
  return tokenizer;
}

/** The parts of tokenizers.js's internals that `withStringSteps` replaces. */
interface Internals {
  normalizer: (Normalizer & { config?: BertNormalizerConfig }) | null;
  model: WordPieceModel;
  splitter_unnormalized: Splitter;
  splitter_normalized: Splitter;
  added_tokens: { content: string }[];
}
interface Normalizer {
  normalize(text: string): string;
}
interface BertNormalizerConfig {
  type?: string;
  clean_text?: boolean;
  handle_chinese_chars?: boolean;
  lowercase?: boolean;
  strip_accents?: boolean | null;
}
interface WordPieceModel {
  config: { type?: string; continuing_subword_prefix?: unknown };
  tokens_to_ids: Map<string, number>;
  unk_token: string;
  max_input_chars_per_word: number;
  encode(tokens: string[]): string[];
}
interface Splitter {
  split(text: string): string[];
}

/**
 * tokenizers.js walks a text one character at a time through arrays, a regular expression per
 * character and a trie lookup per character; on the serving path that was a tenth of a classify
 * request's CPU. These replacements do the same with whole-string operations and give the same
 * tokens (tokenizer.test.ts compares them with the library's own on generated and real texts):
 * the BERT normalizer, WordPiece on words without surrogate pairs (others take the library's
 * path), and the added-token splitter on texts without the first character of any added token.
 */
function withStringSteps(tokenizer: TextTokenizer): void {
  const internals = tokenizer as unknown as Internals;
  const normalizer = internals.normalizer;
  if (normalizer?.config?.type === 'BertNormalizer')
    normalizer.normalize = bertNormalize(normalizer.config);
  const model = internals.model;
  const prefix = model.config.continuing_subword_prefix;
  if (model.config.type === 'WordPiece' && typeof prefix === 'string')
    model.encode = wordPiece(model, prefix, model.encode.bind(model));
  const starts = new Set(internals.added_tokens.map((token) => token.content[0] ?? ''));
  for (const splitter of [internals.splitter_unnormalized, internals.splitter_normalized])
    splitter.split = splitWhenNeeded(splitter.split.bind(splitter), [...starts]);
}

/** Control (Cc except tab, newline, carriage return), format, private-use and surrogate code points, NUL and U+FFFD. */
const CONTROL = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}\uFFFD]/gu;
/** The CJK ideograph blocks BERT spaces out, in UTF-16 code units as the library tests them. */
const CJK = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/g;
const NON_ASCII = /[^\p{ASCII}]/u;
const NONSPACING_MARK = /\p{Mn}/gu;

/** BertNormalizer of tokenizers.js, step for step. */
function bertNormalize(config: BertNormalizerConfig): (text: string) => string {
  const stripAccents = (text: string): string =>
    NON_ASCII.test(text) ? text.normalize('NFD').replace(NONSPACING_MARK, '') : text;
  return (text) => {
    if (config.clean_text) text = text.replace(CONTROL, '').replace(/\s/g, ' ');
    if (config.handle_chinese_chars) text = text.replace(CJK, ' $& ');
    if (config.lowercase) {
      text = text.toLowerCase();
      if (config.strip_accents !== false) text = stripAccents(text);
    } else if (config.strip_accents) text = stripAccents(text);
    return text;
  };
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** WordPiece's greedy longest-match-first, on string slices instead of character arrays. */
function wordPiece(
  model: WordPieceModel,
  prefix: string,
  library: (tokens: string[]) => string[],
): (tokens: string[]) => string[] {
  return (tokens) => {
    const output: string[] = [];
    for (const token of tokens) {
      if (SURROGATE.test(token)) {
        output.push(...library([token]));
        continue;
      }
      if (token.length > model.max_input_chars_per_word) {
        output.push(model.unk_token);
        continue;
      }
      const pieces: string[] = [];
      for (let start = 0; start < token.length;) {
        let end = token.length;
        let piece: string | undefined;
        for (; start < end; end--) {
          const candidate = start > 0 ? prefix + token.slice(start, end) : token.slice(start, end);
          if (model.tokens_to_ids.has(candidate)) {
            piece = candidate;
            break;
          }
        }
        if (piece === undefined) {
          pieces.length = 0;
          pieces.push(model.unk_token);
          break;
        }
        pieces.push(piece);
        start = end;
      }
      output.push(...pieces);
    }
    return output;
  };
}

/** A text that holds no added token's first character cannot hold an added token. */
function splitWhenNeeded(
  library: (text: string) => string[],
  starts: string[],
): (text: string) => string[] {
  return (text) => {
    if (text.length === 0 || starts.some((start) => text.includes(start))) return library(text);
    return [text];
  };
}
