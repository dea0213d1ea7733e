/**
 * The inquiry-pipeline CLI as Argo runs it: a process per step, exit codes and stdout JSON,
 * against the test bed's PostgreSQL and MLflow. generate → ingest → train --from-db → evaluate
 * → register → should-retrain.
 */
import { parse } from 'yaml';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { createTestDatabase, SMALL_MODEL_FLAGS, testbed } from './testbed.js';
import { runCli, type CliResult } from '../run-cli.js';

describe('inquiry-pipeline CLI', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const pipeline = `cli-${Date.now()}`;
  const modelName = `${pipeline}-classifier`;

  const run = (args: string[]): Promise<CliResult> =>
    runCli(args, { DATABASE_URL: database.url, MLFLOW_TRACKING_URI: testbed.mlflowUrl });

  beforeAll(async () => {
    database = await createTestDatabase('cli');
    dir = await mkdtemp(path.join(tmpdir(), 'pipeline-cli-'));
  });

  afterAll(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the training path step by step', async () => {
    const data = path.join(dir, 'inquiries.jsonl');
    expect((await run(['generate', '--n', '1500', '--seed', '3', '--out', data])).code).toBe(0);

    const ingested = await run([
      'ingest',
      '--file',
      data,
      '--labels',
      'category,sentiment,urgency',
    ]);
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ read: 1500, quarantined: 0, labels: 4500 });

    const bundle = path.join(dir, 'bundle');
    const heldOut = path.join(dir, 'held-out.jsonl');
    // As the retrain Workflow trains: the database's labels, and the built-in out-of-scope text
    // as outliers of the category head (at most a quarter of the 1,500 labeled examples).
    const trained = await run([
      'train',
      '--from-db',
      '--out-of-scope',
      'builtin',
      '--out',
      bundle,
      '--write-test',
      heldOut,
      ...SMALL_MODEL_FLAGS,
    ]);
    expect(trained.code).toBe(0);
    const summary = JSON.parse(trained.stdout) as {
      version: string;
      metrics: Record<string, number>;
      outlierExamples: string;
      exportCheck: { maxAbsDiff: number };
    };
    expect(summary.metrics['category.macro_f1']).toBeGreaterThan(0.8);
    expect(summary.exportCheck.maxAbsDiff).toBeLessThan(1e-4);
    // The held-out share (10 % of 1,500 + 375), with its labels and the out-of-scope column, as
    // the retrain workflow evaluates it.
    const held = (await readFile(heldOut, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(held).toHaveLength(Math.round(0.1 * (1500 + 375)));
    const outOfScope = held.filter((row) => row.outOfScope === 'category');
    expect(outOfScope.length).toBeGreaterThan(10);
    expect(outOfScope.every((row) => row.category === undefined)).toBe(true);
    const heldOutliers = outOfScope.length;
    // The rest were trained on or fitted the temperature: 375 in all.
    expect(summary.outlierExamples).toBe(`category: ${375 - heldOutliers}`);
    expect(Object.keys(held.find((row) => row.outOfScope === '')!).sort()).toEqual([
      'body',
      'category',
      'outOfScope',
      'sentiment',
      'subject',
      'urgency',
    ]);
    const onHeldOut = await run([
      'evaluate',
      '--bundle',
      bundle,
      '--data',
      heldOut,
      '--outlier-column',
      'outOfScope',
    ]);
    expect(onHeldOut.code).toBe(0);
    const heldReport = JSON.parse(onHeldOut.stdout) as {
      heads: Record<
        string,
        { macroF1: number; outOfScope?: { examples: number; meanConfidence: number } }
      >;
    };
    // The same examples the trainer measured its test metrics on: the same figure.
    expect(heldReport.heads.category!.macroF1).toBeCloseTo(
      summary.metrics['category.macro_f1']!,
      4,
    );
    // Off-topic text gets low category confidence (5 classes: 0.2 is "none of these").
    expect(heldReport.heads.category!.outOfScope).toMatchObject({ examples: heldOutliers });
    expect(heldReport.heads.category!.outOfScope!.meanConfidence).toBeLessThan(0.6);

    const gold = path.join(dir, 'gold.jsonl');
    await run(['generate', '--n', '300', '--seed', '4', '--noise', '0', '--out', gold]);
    const report = path.join(dir, 'report');
    const evaluated = await run([
      'evaluate',
      '--bundle',
      bundle,
      '--data',
      gold,
      '--out',
      report,
      '--champion-model',
      modelName,
      '--require-better',
    ]);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({
      version: summary.version,
      comparison: null,
    });

    const registered = await run([
      'register',
      '--bundle',
      bundle,
      '--pipeline',
      pipeline,
      '--model-name',
      modelName,
      '--evaluation',
      report,
    ]);
    expect(registered.code).toBe(0);
    expect(registered.stdout).toContain('kind: ModelVersion');
    expect(registered.stdout).toContain(`name: ${pipeline}-v1`);
    const source = /artifactUri: (\S+)/.exec(registered.stdout)![1]!;
    const fetched = await run([
      'fetch-model',
      '--source',
      source,
      '--out',
      path.join(dir, 'fetched'),
    ]);
    expect(fetched.code).toBe(0);
    expect(
      JSON.parse(await readFile(path.join(dir, 'fetched', 'model.json'), 'utf8')),
    ).toMatchObject({ version: summary.version });

    // No champion yet: retrain (exit 0). With the new model as champion and no new labels since
    // its training run, nothing fires: exit 3.
    expect((await run(['should-retrain', '--model-name', modelName])).code).toBe(0);
    await new MlflowClient({ trackingUri: testbed.mlflowUrl }).setAlias(modelName, 'champion', '1');
    const decision = await run(['should-retrain', '--model-name', modelName]);
    expect(decision.code).toBe(3);
    expect(JSON.parse(decision.stdout)).toMatchObject({
      retrain: false,
      champion: summary.version,
      signals: { newLabels: 0 },
    });

    // The same champion does not beat itself.
    const again = await run([
      'evaluate',
      '--bundle',
      bundle,
      '--data',
      gold,
      '--champion-model',
      modelName,
      '--require-better',
    ]);
    expect(again.code).toBe(3);
  });

  it('fails with a clear message and a non-zero exit on bad input', async () => {
    const misspelt = path.join(dir, 'misspelt_rules.yaml');
    await writeFile(
      misspelt,
      'category_to_departement: { billing: finance }\nescalation_rules: []\n',
    );
    const unconvertible = await run(['convert-policy', misspelt, '--name', 'x']);
    expect(unconvertible.code).not.toBe(0);
    expect(unconvertible.stderr).toContain(
      'unknown key "category_to_departement" at routing rules (did you mean "category_to_department"?',
    );
    const converted = await run([
      'convert-policy',
      'test/fixtures/original/routing_rules.yaml',
      '--name',
      'original',
      '--namespace',
      'inquiries',
    ]);
    expect(converted.code).toBe(0);
    const resource = parse(converted.stdout) as {
      kind: string;
      metadata: object;
      spec: { departments: object[]; escalationRules: object[] };
    };
    expect(resource.kind).toBe('RoutingPolicy');
    expect(resource.metadata).toEqual({ name: 'original', namespace: 'inquiries' });
    expect(resource.spec.departments).toContainEqual({
      category: 'billing',
      department: 'finance',
    });
    expect(resource.spec.escalationRules).toContainEqual({
      name: 'critical_negative',
      when: { urgency: ['critical'], sentiment: ['negative'] },
      then: { department: 'escalation', priorityBoost: 20, escalate: true },
    });
    const noSource = await run(['ingest']);
    expect(noSource.code).not.toBe(0);
    expect(noSource.stderr).toContain(
      'name exactly one source: --file, --http, --staging-table or --s3',
    );
    const data = path.join(dir, 'small.jsonl');
    await run(['generate', '--n', '50', '--out', data]);
    const badColumn = await run([
      'train',
      '--data',
      data,
      '--out',
      path.join(dir, 'x'),
      '--labels',
      'intent',
    ]);
    expect(badColumn.code).toBe(1);
    expect(badColumn.stderr).toMatch(/has no column intent; its columns are: id, subject, body/);
  });
});
