/** classify-batch on the real PostgreSQL: sharded claims, predictions and routing decisions. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { ModelRuntime, inquiryText } from '../../lib/model/runtime.js';
import { parsePolicyYaml } from '../../lib/routing/policy.js';
import { insertInquiries } from '../../lib/store/inquiries.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { validateInquiry, type InquiryInput } from '../../lib/inquiry.js';
import { classifyBatch, parseShard } from '../../pipelines/src/classify/classify-batch.js';
import { EXIT_STOPPED } from '../../pipelines/src/cli/shutdown.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { runCli } from '../run-cli.js';
import { createTestDatabase } from './testbed.js';

const policy = parsePolicyYaml(
  readFileSync(new URL('../../config/routing_rules.yaml', import.meta.url), 'utf8'),
);

describe('classify-batch', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let dir: string;
  let runtime: ModelRuntime;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'classify-batch-'));
    const training = generateInquiries({ n: 3000, seed: 21 }).map((inquiry) => ({
      text: inquiryText(inquiry),
      labels: {
        category: inquiry.category,
        sentiment: inquiry.sentiment,
        urgency: inquiry.urgency,
      },
    }));
    await writeBundle(
      dir,
      trainModel(training, { ...DEFAULT_TRAIN_OPTIONS, dim: 16, buckets: 4096, vocabSize: 4000 }),
    );
    runtime = await ModelRuntime.load(dir);
  });

  afterAll(async () => {
    await runtime.release();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    database = await createTestDatabase('classify');
    pool = createPool(database.url);
    await migrate(pool);
    const inquiries = generateInquiries({ n: 1200, seed: 22 }).map((generated): InquiryInput => {
      const result = validateInquiry({
        subject: generated.subject,
        body: generated.body,
        sender_email: generated.sender_email,
        received_at: generated.received_at,
      });
      if (!result.ok)
        throw new Error(`generated inquiry is invalid: ${JSON.stringify(result.problems)}`);
      return result.value;
    });
    await insertInquiries(pool, inquiries, 'test');
  });

  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  const count = async (sql: string): Promise<number> =>
    Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);

  it('classifies every inquiry exactly once when two shards run at once', async () => {
    const total = await count('SELECT count(*) AS n FROM inquiries');
    const otherPool = createPool(database.url);
    try {
      const [a, b] = await Promise.all([
        classifyBatch(pool, runtime, policy, { shard: parseShard('0/2'), batchSize: 100 }),
        classifyBatch(otherPool, runtime, policy, { shard: parseShard('1/2'), batchSize: 100 }),
      ]);
      expect(a.classified).toBeGreaterThan(0);
      expect(b.classified).toBeGreaterThan(0);
      expect(a.classified + b.classified).toBe(total);
    } finally {
      await otherPool.end();
    }
    expect(await count('SELECT count(*) AS n FROM inquiries WHERE classified_at IS NULL')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM routing_decisions')).toBe(total);
    expect(await count('SELECT count(*) AS n FROM predictions')).toBe(total * 3);
    expect((await classifyBatch(pool, runtime, policy)).classified).toBe(0);
  });

  it('writes sensible routing decisions', async () => {
    const stats = await classifyBatch(pool, runtime, policy, { limit: 500 });
    expect(stats.classified).toBe(500);
    expect(stats.modelVersion).toBe(runtime.version);
    const { rows } = await pool.query<{
      department: string;
      consultant: string | null;
      priority_score: number;
      queue: string;
      rule: string | null;
    }>('SELECT department, consultant, priority_score, queue, rule FROM routing_decisions');
    expect(rows).toHaveLength(500);
    const departments = new Set(rows.map((row) => row.department));
    for (const department of [
      'finance',
      'technical_support',
      'sales',
      'legal',
      'product_management',
      'hr',
    ]) {
      expect(departments).toContain(department);
    }
    expect(rows.every((row) => row.priority_score >= 0 && row.priority_score <= 100)).toBe(true);
    expect(rows.some((row) => row.rule !== null)).toBe(true);
    // Consultants spread by load: no one in the support pool has more than their share plus one.
    const support = rows.filter((row) => row.consultant?.startsWith('se-'));
    const perConsultant = new Map<string, number>();
    for (const row of support)
      perConsultant.set(row.consultant!, (perConsultant.get(row.consultant!) ?? 0) + 1);
    expect(
      Math.max(...perConsultant.values()) - Math.min(...perConsultant.values()),
    ).toBeLessThanOrEqual(1);
  });

  it('on SIGTERM commits the batch in hand, starts no other, and exits 143; a new run finishes', async () => {
    const total = await count('SELECT count(*) AS n FROM inquiries');
    const args = ['--bundle', dir, '--batch-size', '5', '--database-url', database.url];
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'pipelines/src/cli.ts', 'classify-batch', ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    while ((await count('SELECT count(*) AS n FROM predictions')) === 0) {
      if (child.exitCode !== null) throw new Error(`classify-batch ended early:\n${stderr}`);
      await sleep(20);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(EXIT_STOPPED);
    expect(stderr).toContain('stopping: the batch in hand is finished or rolled back');
    const stats = JSON.parse(stdout) as { classified: number; stopped?: string };
    expect(stats.stopped).toBe('stopped by SIGTERM');
    // Whole batches only: every classified inquiry has its decision, and the count is the run's.
    const classified = await count(
      'SELECT count(*) AS n FROM inquiries WHERE classified_at IS NOT NULL',
    );
    expect(classified).toBe(stats.classified);
    expect(classified % 5).toBe(0);
    expect(classified).toBeLessThan(total);
    expect(await count('SELECT count(DISTINCT inquiry_id) AS n FROM routing_decisions')).toBe(
      classified,
    );
    const rest = await runCli(['classify-batch', ...args.slice(0, 2), ...args.slice(4)]);
    expect(rest.code).toBe(0);
    expect((JSON.parse(rest.stdout) as { classified: number }).classified).toBe(total - classified);
    expect(await count('SELECT count(*) AS n FROM inquiries WHERE classified_at IS NULL')).toBe(0);
  });

  it('refuses a malformed shard', () => {
    expect(() => parseShard('2/2')).toThrow(/0 <= i < n/);
    expect(() => parseShard('one/two')).toThrow(/--shard must be i\/n/);
  });
});
