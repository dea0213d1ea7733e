import { loadTokenizer } from '../../../lib/model/tokenizer.js';
import { buildWordPiece, wordSplitter } from './wordpiece.js';

const corpus = [
  'Cannot access my dashboard since the update',
  'The dashboard shows an error 503 when I log in',
  'Invoice INV-2041 charged us twice, please refund',
  'Please refund the double charge on invoice INV-2042',
  'Dashboards are slow; the export is broken.',
];

describe('WordPiece vocabulary', () => {
  const json = buildWordPiece(corpus, { vocabSize: 300, minWordFrequency: 2 });
  const tokenizer = loadTokenizer(json);

  it('reserves the special tokens first, with [PAD] = 0', () => {
    expect(tokenizer.token_to_id('[PAD]')).toBe(0);
    expect(tokenizer.token_to_id('[UNK]')).toBe(1);
  });

  it('keeps frequent words whole and spells rare ones from pieces, never as [UNK]', () => {
    expect(tokenizer.tokenize('dashboard refund')).toEqual(['dashboard', 'refund']);
    const rare = tokenizer.tokenize('dashboards');
    expect(rare.length).toBeGreaterThan(1);
    expect(rare.join('').replaceAll('##', '')).toBe('dashboards');
    expect(tokenizer.encode('Dashboards exported').ids).not.toContain(1);
  });

  it('lowercases and splits punctuation the way the runtime tokenizer does', () => {
    expect(wordSplitter()('Hello, WORLD!')).toEqual(['hello', ',', 'world', '!']);
    expect(tokenizer.tokenize('INVOICE')).toEqual(tokenizer.tokenize('invoice'));
  });

  it('respects the vocabulary size', () => {
    const small = buildWordPiece(corpus, { vocabSize: 120, minWordFrequency: 1 });
    expect(Object.keys(small.model.vocab).length).toBeLessThanOrEqual(120);
    const ids = Object.values(small.model.vocab);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBe(ids.length - 1);
  });
});
