/**
 * Training benchmark: 50,000 generated inquiries (5 % label noise) trained into a bundle, judged
 * on 10,000 clean inquiries from another seed. Prints one JSON line; `npm run bench:train`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inquiryText } from '../lib/model/runtime.js';
import { generateInquiries } from '../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../pipelines/src/train/train.js';
import { verifyExport } from '../pipelines/src/train/verify.js';

const HEADS = ['category', 'sentiment', 'urgency'] as const;
const n = Number(process.env.BENCH_N ?? 50_000);

const toLabeled = (seed: number, count: number, noiseRate: number) =>
  generateInquiries({ n: count, seed, noiseRate }).map((inquiry) => ({
    text: inquiryText(inquiry),
    labels: Object.fromEntries(HEADS.map((head) => [head, inquiry[head]])),
  }));

const generated = Date.now();
const data = toLabeled(1, n, 0.05);
const testSet = toLabeled(2, 10_000, 0);
const started = Date.now();
const cpuStarted = process.cpuUsage();
let tokenized: number | undefined;
const model = trainModel(data, {
  ...DEFAULT_TRAIN_OPTIONS,
  testSet,
  onStage: (stage) => {
    // Each tower (the main and the word model) starts a training stage; the first ends tokenizing.
    if (stage === 'training') tokenized ??= Date.now();
  },
});
const trained = Date.now();
const cpu = process.cpuUsage(cpuStarted);
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-train-'));
await writeBundle(dir, model);
const check = await verifyExport(dir, model);
await rm(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    bench: 'train',
    examples: n,
    generateSeconds: (started - generated) / 1000,
    vocabularyAndTokenizeSeconds: ((tokenized ?? trained) - started) / 1000,
    trainSeconds: (trained - (tokenized ?? trained)) / 1000,
    totalTrainSeconds: (trained - started) / 1000,
    totalTrainCpuSeconds: (cpu.user + cpu.system) / 1e6,
    towers: model.towers.length,
    epochs: model.towers.map((tower) => tower.history.length),
    macroF1: Object.fromEntries(
      Object.entries(model.test).map(([head, m]) => [head, Number(m.macroF1.toFixed(4))]),
    ),
    accuracy: Object.fromEntries(
      Object.entries(model.test).map(([head, m]) => [head, Number(m.accuracy.toFixed(4))]),
    ),
    exportMaxAbsDiff: check.maxAbsDiff,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
  }),
);
