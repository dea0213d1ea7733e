/**
 * The model on the platform's own generated data: trained on labels with 10 % noise, judged on
 * a clean held-out set from another seed, it must learn the text, not the noise.
 */
import { inquiryText } from '../../../lib/model/runtime.js';
import { generateInquiries } from '../generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, type LabeledText } from './train.js';

const HEADS = ['category', 'sentiment', 'urgency'] as const;

function labeled(n: number, seed: number, noiseRate: number): LabeledText[] {
  return generateInquiries({ n, seed, noiseRate }).map((inquiry) => ({
    text: inquiryText(inquiry),
    labels: Object.fromEntries(HEADS.map((head) => [head, inquiry[head]])),
  }));
}

describe('training on generated inquiries', () => {
  it('reaches a high macro-F1 on clean held-out data despite noisy training labels', () => {
    const model = trainModel(labeled(8000, 11, 0.1), {
      ...DEFAULT_TRAIN_OPTIONS,
      testSet: labeled(2000, 12, 0),
    });
    expect(model.test.category!.macroF1).toBeGreaterThan(0.93);
    expect(model.test.sentiment!.macroF1).toBeGreaterThan(0.93);
    expect(model.test.urgency!.macroF1).toBeGreaterThan(0.75);
    // 10 % of training labels were flipped at random: a model that learned the noise could not
    // be right on clean labels more than ~90 % of the time.
    expect(model.test.category!.accuracy).toBeGreaterThan(0.93);
    expect(model.test.sentiment!.accuracy).toBeGreaterThan(0.93);
  });
});
