import { copyFile, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_MODEL_RECIPE,
  defaultModelCacheKey,
  defaultModelData,
  pruneDefaultBundles,
  trainingCodeFiles,
} from './default-bundle.js';

describe('the default model data', () => {
  it('labels every generated inquiry with category and urgency, every second one with sentiment', async () => {
    const generated = (await defaultModelData()).slice(0, DEFAULT_MODEL_RECIPE.n);
    expect(generated.every((example) => example.labels.category && example.labels.urgency)).toBe(
      true,
    );
    const withSentiment = generated.filter((example) => example.labels.sentiment).length;
    expect(withSentiment).toBe(
      DEFAULT_MODEL_RECIPE.n / DEFAULT_MODEL_RECIPE.generatedSentimentEvery,
    );
  }, 60_000);
});

describe('the default model cache key', () => {
  it('covers the trainer, the generator and the tokenizer runtime, not tests', async () => {
    const names = (await trainingCodeFiles()).map((file) =>
      path.relative(path.resolve(import.meta.dirname, '..', '..', '..'), file),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        path.join('pipelines', 'src', 'train', 'fasttext.ts'),
        path.join('pipelines', 'src', 'train', 'train.ts'),
        path.join('pipelines', 'src', 'generate', 'inquiries.ts'),
        path.join('lib', 'model', 'runtime.ts'),
      ]),
    );
    expect(names.filter((name) => name.includes('.test.'))).toEqual([]);
  });

  it('changes when a byte of the training code changes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cache-key-'));
    try {
      const files = await trainingCodeFiles();
      const copies = await Promise.all(
        files.map(async (file, i) => {
          const copy = path.join(dir, `${i}-${path.basename(file)}`);
          await copyFile(file, copy);
          return copy;
        }),
      );
      const before = await defaultModelCacheKey(copies);
      expect(await defaultModelCacheKey(copies)).toBe(before);
      await writeFile(copies[0]!, '// changed\n', { flag: 'a' });
      expect(await defaultModelCacheKey(copies)).not.toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the default model cache', () => {
  it('keeps the bundle in use and the most recently used others, nothing else of the folder', async () => {
    const models = await mkdtemp(path.join(os.tmpdir(), 'default-bundles-'));
    try {
      const names = ['default-aaa', 'default-bbb', 'default-ccc', 'default-ddd', 'default-eee'];
      for (const [i, name] of names.entries()) {
        await mkdir(path.join(models, name));
        const used = new Date(Date.UTC(2026, 11, 1, i));
        await utimes(path.join(models, name), used, used);
      }
      await mkdir(path.join(models, 'default-fff.partial-123'));
      await mkdir(path.join(models, 'my-model'));
      // The oldest is the one in use (a checkout of an older commit): it stays.
      const inUse = path.join(models, 'default-aaa');
      const removed = await pruneDefaultBundles(models, inUse);
      expect(removed.map((dir) => path.basename(dir)).sort()).toEqual([
        'default-bbb',
        'default-ccc',
      ]);
      expect((await readdir(models)).sort()).toEqual([
        'default-aaa',
        'default-ddd',
        'default-eee',
        'default-fff.partial-123',
        'my-model',
      ]);
    } finally {
      await rm(models, { recursive: true, force: true });
    }
  });
});
