/**
 * The CLI on a user's own files, no database: train's split is stated (flags, output, model.json),
 * the version follows data and options, evaluate counts labels the model does not know (and fails
 * on them with --strict), predict writes per-row predictions, and a malformed row is named by
 * file, line and column.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli, type CliResult } from '../../../test/run-cli.js';

const run = (args: string[]): Promise<CliResult> => runCli(args);

const SMALL = ['--dim', '12', '--buckets', '2048', '--vocab-size', '2000', '--epochs', '3'];

describe('inquiry-pipeline on files', () => {
  let dir: string;
  let data: string;
  let bundle: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cli-files-'));
    data = path.join(dir, 'inquiries.csv');
    bundle = path.join(dir, 'bundle');
    const generated = await run([
      'generate',
      '--n',
      '800',
      '--seed',
      '5',
      '--format',
      'csv',
      '--out',
      data,
    ]);
    expect(generated.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('train without --test says it holds out a test share, and records the split in model.json', async () => {
    const trained = await run(['train', '--data', data, '--out', bundle, ...SMALL]);
    expect(trained.code).toBe(0);
    expect(trained.stderr).toMatch(
      /no --test file: 10 % of the data is held out as the test split/,
    );
    const summary = JSON.parse(trained.stdout) as {
      version: string;
      split: { train: number; validation: number; test: number; testSource: string; note: string };
    };
    expect(summary.split).toMatchObject({ train: 640, validation: 80, test: 80 });
    expect(summary.split.testSource).toBe('held-out share');
    expect(summary.split.note).toMatch(/trained on 640 of 800 examples: 80 held out as test/);
    const manifest = JSON.parse(await readFile(path.join(bundle, 'model.json'), 'utf8')) as {
      version: string;
      params: Record<string, unknown>;
      heads: { temperature: number }[];
    };
    expect(manifest.params).toMatchObject({
      validationShare: 0.1,
      testShare: 0.1,
      testSource: 'held-out share',
      trainExamples: 640,
    });
    expect(manifest.heads.every((head) => head.temperature > 0)).toBe(true);
    expect(manifest.version).toBe(summary.version);

    const all = path.join(dir, 'all');
    const onAll = await run(['train', '--data', data, '--out', all, '--test-share', '0', ...SMALL]);
    expect(onAll.code).toBe(0);
    expect(onAll.stderr).not.toMatch(/held out as the test split/);
    const allSummary = JSON.parse(onAll.stdout) as typeof summary;
    expect(allSummary.split).toMatchObject({
      train: 720,
      validation: 80,
      test: 0,
      testSource: 'none',
    });
    // Other options, other version; the same data and options, the same version.
    expect(allSummary.version).not.toBe(summary.version);
    const again = await run(['train', '--data', data, '--out', path.join(dir, 'again'), ...SMALL]);
    expect((JSON.parse(again.stdout) as typeof summary).version).toBe(summary.version);

    const both = await run([
      'train',
      '--data',
      data,
      '--out',
      all,
      '--test',
      data,
      '--test-share',
      '0.2',
    ]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/--test FILE or --test-share, not both/);
  }, 300_000);

  it('train --towers trains the groups of heads it names, from YAML, JSON or a file; --lexicon-features goes into model.json', async () => {
    const towersFile = path.join(dir, 'towers.yaml');
    await writeFile(
      towersFile,
      '- heads: [category, urgency]\n  auxiliaryHeads: [sentiment]\n- heads: [sentiment]\n  hyperparameters: {charNgrams: 3-4, dim: 8}\n',
    );
    const train = (out: string, ...flags: string[]): Promise<CliResult> =>
      run(['train', '--data', data, '--out', path.join(dir, out), ...flags]);
    const trained = await train(
      'towered',
      '--towers',
      towersFile,
      '--lexicon-features',
      'vader-compound-v1',
      ...SMALL,
    );
    expect(trained.code).toBe(0);
    const manifest = JSON.parse(
      await readFile(path.join(dir, 'towered', 'model.json'), 'utf8'),
    ) as {
      lexiconFeatures?: string;
      params: Record<string, unknown>;
    };
    expect(manifest.lexiconFeatures).toBe('vader-compound-v1');
    expect(manifest.params.towers).toMatch(
      /^category\+urgency \(auxiliary sentiment\): dim 12, .*char n-grams 3-5.*; sentiment: dim 8, .*char n-grams 3-4/,
    );

    const unknownHead = await train(
      'bad-towers',
      '--towers',
      '[{"heads":["category","sentiment"]},{"heads":["mood"]}]',
      ...SMALL,
    );
    expect(unknownHead.code).not.toBe(0);
    expect(unknownHead.stderr).toMatch(/towers name heads the data lacks: mood/);
    const badField = await train(
      'bad-towers',
      '--towers',
      '[{heads: [category], hyperparameters: {dims: 8}}]',
    );
    expect(badField.code).not.toBe(0);
    expect(badField.stderr).toMatch(/--towers\[0\]\.hyperparameters\.dims: unknown hyperparameter/);
  }, 300_000);

  it('evaluate counts rows whose label the model does not know, and --strict fails on them', async () => {
    const gold = path.join(dir, 'gold.jsonl');
    await writeFile(
      gold,
      [
        { subject: '', body: 'I was charged twice on my invoice', category: 'billing' },
        { subject: '', body: 'the app crashes at login', category: 'technical_support' },
        { subject: '', body: 'where is my parcel', category: 'shipping' },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    const evaluate = ['evaluate', '--bundle', bundle, '--data', gold, '--labels', 'category'];
    const evaluated = await run(evaluate);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({
      examples: 3,
      heads: { category: { scored: 2, unknownLabels: 1, unknownLabelValues: ['shipping'] } },
    });
    expect(evaluated.stderr).toMatch(
      /1 of 3 rows have a category label the model does not know \(shipping/,
    );
    const strict = await run([...evaluate, '--strict']);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toMatch(/gold\.jsonl: 1 of 3 rows have a category label .*\(--strict\)/);
  }, 120_000);

  it('predict writes labels, confidences and every score per row, as CSV or JSONL', async () => {
    const input = path.join(dir, 'to-classify.csv');
    await writeFile(
      input,
      'id,subject,body\nA-1,Invoice,I was charged twice\nA-2,,the app crashes when I log in\n',
    );
    const csvOut = path.join(dir, 'predictions.csv');
    const predicted = await run(['predict', '--bundle', bundle, '--data', input, '--out', csvOut]);
    expect(predicted.code).toBe(0);
    const rows = parse<Record<string, string>>(await readFile(csvOut, 'utf8'), { columns: true });
    expect(rows.map((row) => [row.row, row.id])).toEqual([
      ['1', 'A-1'],
      ['2', 'A-2'],
    ]);
    for (const row of rows) {
      for (const head of ['category', 'sentiment', 'urgency']) {
        const scores = Object.entries(row)
          .filter(([column]) => column.startsWith(`${head}_score_`))
          .map(([, value]) => Number(value));
        expect(scores.length).toBeGreaterThanOrEqual(3);
        expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        expect(Number(row[`${head}_confidence`])).toBeCloseTo(Math.max(...scores), 6);
        expect(row[`${head}_score_${row[head]}`]).toBe(row[`${head}_confidence`]);
      }
    }
    const jsonl = await run(['predict', '--bundle', bundle, '--data', input]);
    expect(jsonl.code).toBe(0);
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ row: 1, id: 'A-1' });
    expect(Object.keys(lines[0]!.category_scores as object).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('names the file, line and column of a malformed row', async () => {
    const bad = path.join(dir, 'bad.csv');
    await writeFile(bad, 'subject,body,category\nHi,"fine",billing\nHi,"broken "quote",sales\n');
    const trained = await run([
      'train',
      '--data',
      bad,
      '--out',
      path.join(dir, 'x'),
      '--labels',
      'category',
    ]);
    expect(trained.code).not.toBe(0);
    expect(trained.stderr).toMatch(/bad\.csv:3:2: Invalid Closing Quote/);
    const predicted = await run(['predict', '--bundle', bundle, '--data', bad]);
    expect(predicted.code).not.toBe(0);
    expect(predicted.stderr).toMatch(/bad\.csv:3:2:/);
  }, 120_000);
});
