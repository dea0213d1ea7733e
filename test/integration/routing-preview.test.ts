/**
 * `inquiry-pipeline preview-routing` against the test bed's PostgreSQL: stored inquiries with
 * the predictions and decisions that routed them are routed again under a changed policy.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { createTestDatabase } from './testbed.js';
import { runCli } from '../run-cli.js';

const run = runCli;

describe('inquiry-pipeline preview-routing', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase('preview');
    const pool = createPool(database.url);
    try {
      await migrate(pool);
      const rows: [string, string, string, boolean][] = [
        ['Invoice 1 is wrong', 'billing', 'finance', false],
        ['Invoice 2 is wrong', 'billing', 'finance', false],
        ['Our attorney will take legal action', 'billing', 'legal', true],
        ['A quote for 50 seats', 'sales', 'sales', false],
      ];
      for (const [index, [body, category, department, escalated]] of rows.entries()) {
        const {
          rows: [inquiry],
        } = await pool.query<{ id: string }>(
          `INSERT INTO inquiries (content_hash, subject, body, sender_email, source, classified_at)
           VALUES ($1, 'Question', $2, 'client@example.com', 'test', now()) RETURNING id`,
          [`hash-${index}`, body],
        );
        for (const [head, label] of [
          ['category', category],
          ['sentiment', 'neutral'],
          ['urgency', 'low'],
        ] as const) {
          await pool.query(
            `INSERT INTO predictions (inquiry_id, model_version, head, label, confidence) VALUES ($1, 'v1', $2, $3, 0.95)`,
            [inquiry!.id, head, label],
          );
        }
        await pool.query(
          `INSERT INTO routing_decisions (inquiry_id, department, priority_score, priority_band, escalated, urgency, urgency_source, model_version)
           VALUES ($1, $2, 50, 'normal', $3, 'low', 'model', 'v1')`,
          [inquiry!.id, department, escalated],
        );
      }
    } finally {
      await pool.end();
    }
  });

  afterAll(async () => {
    await database.drop();
  });

  it('reports department moves and escalations lost, on stdout and in --out', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'preview-'));
    const policy = parse(await readFile('config/routing_rules.yaml', 'utf8')) as {
      departments: { category: string; department: string }[];
      escalationRules: { name: string }[];
    };
    policy.departments = policy.departments.map((d) =>
      d.category === 'billing' ? { ...d, department: 'accounts' } : d,
    );
    policy.escalationRules = policy.escalationRules.filter((r) => r.name !== 'legal-threat');
    await writeFile(path.join(dir, 'policy.yaml'), stringify(policy));
    const out = path.join(dir, 'preview.json');
    const result = await run(
      ['preview-routing', '--policy', path.join(dir, 'policy.yaml'), '--out', out],
      { DATABASE_URL: database.url },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      sampled: 4,
      changed: 3,
      moves: [
        { from: 'finance', to: 'accounts', count: 2 },
        { from: 'legal', to: 'accounts', count: 1 },
      ],
      escalationsGained: 0,
      escalationsLost: 1,
    });
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(report);

    // The policy that routed them changes nothing.
    const same = await run(['preview-routing', '--policy', 'config/routing_rules.yaml'], {
      DATABASE_URL: database.url,
    });
    expect(JSON.parse(same.stdout)).toMatchObject({ sampled: 4, changed: 0, moves: [] });
  });

  it('refuses a bad limit and an invalid policy with a clear message', async () => {
    const limit = await run(
      ['preview-routing', '--policy', 'config/routing_rules.yaml', '--limit', '0'],
      { DATABASE_URL: database.url },
    );
    expect(limit.code).not.toBe(0);
    expect(limit.stderr).toContain('--limit must be at least 1');
    const dir = await mkdtemp(path.join(tmpdir(), 'preview-bad-'));
    await writeFile(path.join(dir, 'bad.yaml'), 'departments: 3\n');
    const bad = await run(['preview-routing', '--policy', path.join(dir, 'bad.yaml')], {
      DATABASE_URL: database.url,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/inquiry-pipeline: .*(defaultDepartment|departments)/);
  });
});
