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
  return new (Tokenizer as TokenizerConstructor)(tokenizerJson, tokenizerConfig);
}
