import { parseTowers } from './towers.js';

describe('parseTowers', () => {
  it('reads towers as JSON or YAML, as TrainOptions.towers', () => {
    const expected = [
      { heads: ['category', 'urgency'], auxiliaryHeads: ['sentiment'] },
      {
        heads: ['sentiment'],
        hyperparameters: { charNgrams: [3, 5], dim: 32, lrSchedule: 'cosine' },
      },
    ];
    expect(
      parseTowers(
        '[{"heads":["category","urgency"],"auxiliaryHeads":["sentiment"]},' +
          '{"heads":["sentiment"],"hyperparameters":{"charNgrams":"3-5","dim":32,"lrSchedule":"cosine"}}]',
      ),
    ).toEqual(expected);
    expect(
      parseTowers(
        [
          '- heads: [category, urgency]',
          '  auxiliaryHeads: [sentiment]',
          '- heads: [sentiment]',
          '  hyperparameters: {charNgrams: [3, 5], dim: 32, lrSchedule: cosine}',
        ].join('\n'),
      ),
    ).toEqual(expected);
    expect(
      parseTowers('[{heads: [label], hyperparameters: {charNgrams: none, wordNgrams: 3}}]'),
    ).toEqual([{ heads: ['label'], hyperparameters: { charNgrams: null, wordNgrams: 3 } }]);
  });

  it('names the tower and the field of a mistake', () => {
    expect(() => parseTowers('{heads: [a]}')).toThrow(/--towers must be a list of towers/);
    expect(() => parseTowers('[{heads: []}]')).toThrow(
      /--towers\[0\]\.heads must be a non-empty list of head names/,
    );
    expect(() => parseTowers('[{heads: [a]}, {heads: [b], extra: 1}]')).toThrow(
      /--towers\[1\]: unknown field extra/,
    );
    expect(() => parseTowers('[{heads: [a], hyperparameters: {dims: 3}}]')).toThrow(
      /--towers\[0\]\.hyperparameters\.dims: unknown hyperparameter \(known: dim, /,
    );
    expect(() => parseTowers('[{heads: [a], hyperparameters: {charNgrams: 5-3}}]')).toThrow(
      /charNgrams: use MIN-MAX/,
    );
    expect(() => parseTowers('[{heads: [a], hyperparameters: {wordNgrams: 4}}]')).toThrow(
      /wordNgrams must be 1, 2 or 3/,
    );
    expect(() => parseTowers('[{heads: [a', 'towers.yaml')).toThrow(
      /towers\.yaml is neither YAML nor JSON/,
    );
  });
});
