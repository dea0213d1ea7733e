import type { LabeledText } from '../train/train.js';
import { calibrateFlag, outOfScopeExamples, toLabeledTexts } from './train-command.js';

const heads = new Map([
  ['category', 'category'],
  ['sentiment', 'sentiment'],
]);
const where = () => 'data.csv, record 3, column source';

describe('train --calibrate-column', () => {
  it("reads a row's value as every head, none, or the heads it names", () => {
    for (const value of ['', 'true', 'YES', '1', undefined, null, true]) {
      expect(calibrateFlag(value, ['category', 'sentiment'], where)).toBe(true);
    }
    for (const value of ['false', 'No', '0', false]) {
      expect(calibrateFlag(value, ['category', 'sentiment'], where)).toBe(false);
    }
    expect(calibrateFlag(' sentiment , category ', ['category', 'sentiment'], where)).toEqual([
      'sentiment',
      'category',
    ]);
    // Head names keep their case (a taxonomy may name a head "Intent").
    expect(calibrateFlag('Intent', ['Intent'], where)).toEqual(['Intent']);
  });

  it('refuses a value that names a head not being trained, saying where', () => {
    expect(() => calibrateFlag('generated', ['category', 'sentiment'], where)).toThrow(
      'data.csv, record 3, column source: "generated" names no head being trained (generated); give true, false or heads among category, sentiment',
    );
  });

  it('sets each example’s flag from the column, and leaves it unset without the option', () => {
    const records = [
      { body: 'my card was charged twice', category: 'billing', sentiment: 'negative', real: '' },
      { body: 'synthetic text', category: 'billing', sentiment: 'neutral', real: 'false' },
      { body: 'half and half', category: 'sales', sentiment: 'neutral', real: 'category' },
    ];
    const flagged = toLabeledTexts(records, ['body'], heads, 'data.csv', {
      calibrateColumn: 'real',
    });
    expect(flagged.map((example) => example.calibrate)).toEqual([true, false, ['category']]);
    const plain = toLabeledTexts(records, ['body'], heads, 'data.csv');
    expect(plain.every((example) => !('calibrate' in example))).toBe(true);
    expect(() =>
      toLabeledTexts(records, ['body'], heads, 'data.csv', { calibrateColumn: 'origin' }),
    ).toThrow('data.csv has no column origin');
  });
});

describe('train --outlier-column', () => {
  const records = [
    { body: 'my card was charged twice', category: 'billing', sentiment: 'negative', oos: '' },
    { body: 'what is the weather in paris', category: '', sentiment: 'neutral', oos: 'true' },
    { body: 'set a timer, thanks', category: '', sentiment: '', oos: 'category' },
    { body: 'play some jazz', category: '', sentiment: 'positive', oos: 'no' },
  ];

  it('marks each row out of scope for the heads its column names (true: every head it has no label for)', () => {
    const examples = toLabeledTexts(records, ['body'], heads, 'data.csv', { outlierColumn: 'oos' });
    expect(examples.map((example) => example.outlierFor)).toEqual([
      undefined,
      ['category'],
      ['category'],
      undefined,
    ]);
    const plain = toLabeledTexts(records, ['body'], heads, 'data.csv');
    expect(plain.every((example) => !('outlierFor' in example))).toBe(true);
  });

  it('refuses a row out of scope for a head it also labels, or a head not being trained, saying where', () => {
    const labeled = [{ ...records[0]!, oos: 'category' }];
    expect(() =>
      toLabeledTexts(labeled, ['body'], heads, 'data.csv', { outlierColumn: 'oos' }),
    ).toThrow(
      'data.csv, record 1, column oos: the row is out of scope for category but also has a label for it',
    );
    const unknown = [{ ...records[1]!, oos: 'intent' }];
    expect(() =>
      toLabeledTexts(unknown, ['body'], heads, 'data.csv', { outlierColumn: 'oos' }),
    ).toThrow('data.csv, record 1, column oos: "intent" names no head being trained (intent)');
  });
});

describe('train --out-of-scope', () => {
  const labeled = (n: number, head = 'category'): LabeledText[] =>
    Array.from({ length: n }, (_, i) => ({ text: `inquiry ${i}`, labels: { [head]: 'billing' } }));
  const records = Array.from({ length: 40 }, (_, i) => ({ text: `off-topic question ${i}` }));
  const options = { source: 'oos.csv', heads: ['category'], share: 0.25 };
  const trained = ['category', 'sentiment'];

  it('adds every row as an outlier of the heads when there are few enough', () => {
    const examples = outOfScopeExamples(
      records,
      ['subject', 'body'],
      labeled(400),
      options,
      trained,
      42,
    );
    expect(examples).toHaveLength(40);
    expect(examples[0]).toEqual({
      text: 'off-topic question 0',
      labels: {},
      outlierFor: ['category'],
    });
  });

  it('keeps at most share × the examples labeled for those heads, the same ones for a seed, in file order', () => {
    // 40 labeled for category (and 100 for sentiment only, which do not count): 10 rows.
    const data = [...labeled(40), ...labeled(100, 'sentiment')];
    const first = outOfScopeExamples(records, ['body'], data, options, trained, 7);
    expect(first).toHaveLength(10);
    expect(outOfScopeExamples(records, ['body'], data, options, trained, 7)).toEqual(first);
    expect(outOfScopeExamples(records, ['body'], data, options, trained, 8)).not.toEqual(first);
    const order = first.map((example) => Number(example.text.split(' ').pop()));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(
      outOfScopeExamples(records, ['body'], data, { ...options, share: 0 }, trained, 7),
    ).toEqual([]);
  });

  it("reads the training's text fields when the file has them, skipping empty rows", () => {
    const rows = [
      { subject: 'Weather', body: 'will it rain tomorrow', text: 'ignored' },
      { subject: '', body: '' },
    ];
    expect(outOfScopeExamples(rows, ['subject', 'body'], labeled(40), options, trained, 1)).toEqual(
      [{ text: 'Weather\nwill it rain tomorrow', labels: {}, outlierFor: ['category'] }],
    );
  });

  it('refuses heads not being trained and a file without text, saying which', () => {
    expect(() =>
      outOfScopeExamples(
        records,
        ['body'],
        labeled(40),
        { ...options, heads: ['intent'] },
        trained,
        1,
      ),
    ).toThrow(
      '--out-of-scope-heads names intent, not among the heads trained (category, sentiment)',
    );
    expect(() =>
      outOfScopeExamples([{ question: 'x' }], ['body'], labeled(40), options, trained, 1),
    ).toThrow('oos.csv has no text column (body, text); its columns are: question');
  });
});
