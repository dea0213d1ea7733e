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

  it('makes words that name Object.prototype members tokens like any other', () => {
    const texts = ['the constructor called', 'a constructor again', 'valueof tostring valueof'];
    const json = buildWordPiece([...texts, 'tostring'], { vocabSize: 300, minWordFrequency: 2 });
    for (const word of ['constructor', 'valueof', 'tostring']) {
      expect(Object.hasOwn(json.model.vocab, word)).toBe(true);
      expect(loadTokenizer(json).tokenize(word)).toEqual([word]);
    }
    // tokenizer.json keeps the id (a number, not Object's constructor function).
    const written = JSON.parse(JSON.stringify(json)) as typeof json;
    expect(typeof written.model.vocab.constructor).toBe('number');
    expect(written.model.vocab.constructor).toBe(json.model.vocab.constructor);
  });
});
