/**
 * The exported ONNX graph alone (`npm run bench:onnx`): trains the default model's recipe
 * (BENCH_RECIPE=default) or the trainer's defaults (BENCH_RECIPE=word: a subword and a word model,
 * every head an ensemble) for BENCH_EPOCHS epochs (default 2), exports the towers, and reports
 * the graph's node count (before and after onnxruntime's optimizer), the size of `model.onnx`,
 * the largest logit difference from the exact function (computed in doubles from the same
 * weights) on 400 texts (validation texts, MultiDoGO turns and GoEmotions comments from
 * REAL_DEV_DIR, default ../shared/data/real-dev), and the median time of `session.run` for 1
 * and 8 texts, long and short, with the session options of lib/model/runtime.ts.
 * BENCH_BASELINE_DIR (a checkout of another commit with node_modules) exports the same weights with
 * that commit's exporter too, checks both give the same logits, and times both in turns,
 * BENCH_ROUNDS times (default 4) of BENCH_ITERATIONS runs (default 2000).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { VADER_FEATURES } from '../lib/model/lexicon.js';
import { ModelRuntime, textEncoder } from '../lib/model/runtime.js';
import { loadTokenizer } from '../lib/model/tokenizer.js';
import { readAllRecords } from '../pipelines/src/data/records.js';
import { DEFAULT_MODEL_RECIPE, defaultModelData } from '../pipelines/src/train/default-bundle.js';
import { features } from '../pipelines/src/train/fasttext.js';
import { exportTowersOnnx, type TowerExport } from '../pipelines/src/train/onnx-export.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type TrainedModel,
} from '../pipelines/src/train/train.js';

const recipe = process.env.BENCH_RECIPE ?? 'default';
const epochs = Number(process.env.BENCH_EPOCHS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000);
const baselineDir = process.env.BENCH_BASELINE_DIR;
const realDev =
  process.env.REAL_DEV_DIR ??
  path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'real-dev');

const options =
  recipe === 'word'
    ? { ...DEFAULT_TRAIN_OPTIONS, lexiconFeatures: VADER_FEATURES, maxEpochs: epochs }
    : { ...DEFAULT_MODEL_RECIPE.options, maxEpochs: epochs };
const model = trainModel(await defaultModelData(), options);

const exporters: Record<string, (towers: TowerExport[], version: string) => Uint8Array> = {
  this: exportTowersOnnx,
};
if (baselineDir) {
  const baseline = path.resolve(baselineDir, 'pipelines', 'src', 'train', 'onnx-export.ts');
  exporters.baseline = (
    (await import(baseline)) as typeof import('../pipelines/src/train/onnx-export.js')
  ).exportTowersOnnx;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-onnx-'));
try {
  const sessions: Record<string, ort.InferenceSession> = {};
  const graphs: Record<string, object> = {};
  for (const [name, exportOnnx] of Object.entries(exporters)) {
    const file = path.join(dir, `${name}.onnx`);
    const bundle = path.join(dir, name);
    await writeBundle(bundle, { ...model, onnx: exportOnnx(model.towers, model.manifest.version) });
    const optimized = `${file}.optimized`;
    sessions[name] = await ort.InferenceSession.create(path.join(bundle, 'model.onnx'), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: optimized,
    });
    const bytes = await readFile(path.join(bundle, 'model.onnx'));
    const nodesOf = (onnx: Uint8Array): number =>
      onnxProto.onnx.ModelProto.decode(onnx).graph!.node!.length;
    graphs[name] = {
      nodes: nodesOf(bytes),
      nodesAfterOptimizer: nodesOf(await readFile(optimized)),
      megabytes: Number((bytes.length / 1e6).toFixed(1)),
    };
  }

  const runtime = await ModelRuntime.load(path.join(dir, 'this'));
  const column = async (file: string, count: number): Promise<string[]> =>
    (await readAllRecords(path.join(realDev, file)))
      .slice(0, count)
      .map((record) => String(record.text));
  const texts = [
    ...model.validationTexts.slice(0, 200),
    ...(await column(path.join('multidogo', 'multidogo.csv'), 100)),
    ...(await column(path.join('goemotions', 'goemotions.csv'), 100)),
  ];
  const feedsOf = (batch: readonly string[]): Record<string, ort.Tensor> => {
    const { inputIds, attentionMask, batch: rows, sequence } = runtime.encode(batch);
    return {
      input_ids: new ort.Tensor('int64', inputIds, [rows, sequence]),
      attention_mask: new ort.Tensor('int64', attentionMask, [rows, sequence]),
    };
  };

  // Logits: each exporter against the exact function, and the two exporters against each other.
  const exact = exactLogits(model, texts);
  const served: Record<string, Record<string, Float32Array>[]> = {};
  const precision: Record<string, number> = {};
  for (const [name, session] of Object.entries(sessions)) {
    served[name] = [];
    let worst = 0;
    for (const [i, text] of texts.entries()) {
      const outputs = await session.run(feedsOf([text]));
      const logits = Object.fromEntries(
        Object.keys(exact[i]!).map((out) => [out, outputs[out]!.data as Float32Array]),
      );
      served[name].push(logits);
      for (const [out, z] of Object.entries(exact[i]!))
        z.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - logits[out]![c]!))));
    }
    precision[name] = worst;
  }
  let betweenExporters: number | undefined;
  if (served.baseline) {
    betweenExporters = 0;
    served.this!.forEach((logits, i) => {
      for (const [out, z] of Object.entries(logits))
        z.forEach(
          (v, c) =>
            (betweenExporters = Math.max(
              betweenExporters!,
              Math.abs(v - served.baseline![i]![out]![c]!),
            )),
        );
    });
  }

  // Time: each batch shape on every exporter in turn, the order reversed every other round.
  const batchesOf = (from: number, count: number, size: number): Record<string, ort.Tensor>[] =>
    Array.from({ length: count }, (_, i) =>
      feedsOf(texts.slice(from + i * size, from + (i + 1) * size)),
    );
  const shapes = {
    '1 text': batchesOf(0, 64, 1),
    '8 texts': batchesOf(0, 24, 8),
    '1 short text': batchesOf(300, 64, 1),
    '8 short texts': batchesOf(300, 12, 8),
  };
  const median = (values: number[]): number =>
    [...values].sort((a, b) => a - b)[values.length >> 1]!;
  const perRound: Record<string, Record<string, number[]>> = {};
  for (let round = 0; round < rounds; round++) {
    const names = Object.keys(sessions);
    for (const name of round % 2 === 0 ? names : names.reverse()) {
      for (const [shape, feeds] of Object.entries(shapes)) {
        const times: number[] = [];
        for (let i = 0; i < iterations; i++) {
          const start = process.hrtime.bigint();
          await sessions[name]!.run(feeds[i % feeds.length]!);
          times.push(Number(process.hrtime.bigint() - start) / 1000);
        }
        ((perRound[name] ??= {})[shape] ??= []).push(median(times));
      }
    }
  }
  await runtime.release();
  console.log(
    JSON.stringify({
      bench: 'onnx-graph',
      recipe,
      towers: model.manifest.params?.towers ?? 'one',
      texts: texts.length,
      load: os.loadavg().map((l) => Number(l.toFixed(2))),
      graphs,
      maxLogitErrorVsExact: precision,
      ...(betweenExporters === undefined ? {} : { maxLogitDifferenceToBaseline: betweenExporters }),
      runMicroseconds: Object.fromEntries(
        Object.entries(perRound).map(([name, byShape]) => [
          name,
          Object.fromEntries(
            Object.entries(byShape).map(([shape, medians]) => [
              shape,
              {
                median: Number(median(medians).toFixed(1)),
                rounds: medians.map((m) => Number(m.toFixed(1))),
              },
            ]),
          ),
        ]),
      ),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

/** Per text, per head output, the logits of the towers' function computed in doubles. */
function exactLogits(trained: TrainedModel, texts: readonly string[]): Record<string, number[]>[] {
  const { maxLength, lexiconFeatures } = trained.manifest;
  const encode = textEncoder(loadTokenizer(trained.tokenizer), maxLength, lexiconFeatures);
  return texts.map((text) => {
    const ids = encode(text);
    const logits: Record<string, number[]> = {};
    for (const { weights, heads, subwords } of trained.towers) {
      const { dim, classes } = weights.shape;
      const { rows, tokens, rowCount } = features(ids, weights.shape, subwords);
      const sum = new Float64Array(dim);
      const add = (row: number): void => {
        for (let d = 0; d < dim; d++) sum[d]! += weights.embeddings[row * dim + d]!;
      };
      rows.forEach(add);
      tokens.forEach((token) => [token, ...subwords[token]!].forEach(add));
      heads.forEach((head, h) => {
        const z = (logits[`${head}_logits`] ??= new Array<number>(classes[h]!).fill(0));
        for (let c = 0; c < classes[h]!; c++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += weights.headWeights[h]![c * dim + d]! * sum[d]!;
          z[c]! += weights.headBiases[h]![c]! + dot / Math.max(1, rowCount);
        }
      });
    }
    return logits;
  });
}
