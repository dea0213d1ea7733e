/**
 * A bundle in the Hugging Face export convention (one `logits` output, labels from config.json's
 * id2label, no model.json) loads and classifies; the heads it lacks fall back in routing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportFastTextOnnx } from './onnx-export.js';
import { Random } from './fasttext.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from './train.js';
import { combineUrgency, detectUrgency } from '../../../lib/routing/urgency.js';
import { ModelRuntime } from '../../../lib/model/runtime.js';

describe('Hugging Face style bundle', () => {
  it('loads labels from config.json id2label and serves the single logits output', async () => {
    const random = new Random(3);
    const data = Array.from({ length: 600 }, () => {
      const intent = random.int(2) === 0 ? 'refund' : 'login';
      return { text: `please help with my ${intent} issue ${random.int(9)}`, labels: { intent } };
    });
    const model = trainModel(data, {
      ...DEFAULT_TRAIN_OPTIONS,
      vocabSize: 200,
      minWordFrequency: 1,
      buckets: 256,
      dim: 8,
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-bundle-'));
    try {
      await writeFile(
        path.join(dir, 'model.onnx'),
        exportFastTextOnnx(model.towers[0]!.weights, ['intent'], 'hf', ['logits']),
      );
      await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(model.tokenizer));
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({ model_type: 'fasttext', id2label: { '0': 'login', '1': 'refund' } }),
      );
      const runtime = await ModelRuntime.load(dir);
      try {
        expect(runtime.heads).toEqual([
          { name: 'category', output: 'logits', labels: ['login', 'refund'] },
        ]);
        expect(runtime.version).toMatch(/^fasttext-[0-9a-f]{12}$/);
        const [result] = await runtime.classify(['please help with my refund issue 3']);
        expect(Object.keys(result!)).toEqual(['category']);
        expect(result!.category!.label).toBe('refund');
        // No urgency head: the text rules decide.
        expect(combineUrgency(result!.urgency, detectUrgency('refund asap'))).toMatchObject({
          label: 'high',
          source: 'rules',
        });
      } finally {
        await runtime.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('explains what is missing when a bundle has neither model.json nor config.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'empty-bundle-'));
    try {
      await expect(ModelRuntime.load(dir)).rejects.toThrow(
        /cannot read model\.json in model bundle/,
      );
      await writeFile(path.join(dir, 'config.json'), JSON.stringify({ id2label: { '0': 'only' } }));
      await expect(ModelRuntime.load(dir)).rejects.toThrow(/id2label map with at least two labels/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
