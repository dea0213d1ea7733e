/** Schema migrations on the real PostgreSQL. */
import type pg from 'pg';
import { loadMigrations, migrate } from '../../lib/store/migrate.js';
import { insertInquiries } from '../../lib/store/inquiries.js';
import { openSubmitBatch } from '../../lib/store/submissions.js';
import { principalHash, scopedTo } from '../../inference-server/src/principal.js';
import { contentHash, validateInquiry, type InquiryInput } from '../../lib/inquiry.js';
import { createPool } from '../../lib/store/pool.js';
import { createTestDatabase } from './testbed.js';

describe('migrate', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pools: pg.Pool[];

  beforeEach(async () => {
    database = await createTestDatabase('migrate');
    pools = [createPool(database.url), createPool(database.url)];
  });

  afterEach(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
  });

  it('applies each migration once when two instances start together', async () => {
    const [first, second] = await Promise.all(pools.map((pool) => migrate(pool)));
    expect([...first!, ...second!].sort()).toEqual([1, 2, 3, 4]);
    const { rows } = await pools[0]!.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
    expect(await migrate(pools[0]!)).toEqual([]);
    const tables = await pools[0]!.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual([
      'consultant_loads',
      'feedback',
      'idempotency_keys',
      'inquiries',
      'pipeline_runs',
      'predictions',
      'quarantine',
      'routing_decisions',
      'schema_migrations',
    ]);
  });

  it('keeps the inquiries stored before 004 without a submitter, in the one unscoped content space', async () => {
    const all = await loadMigrations();
    await migrate(
      pools[0]!,
      all.filter((m) => m.version <= 3),
    );
    const inquiry = (n: number): InquiryInput & { received_at: Date } => {
      const validated = validateInquiry({
        subject: `Before ${n}`,
        body: `Stored before submitters were kept (${n}).`,
        sender_email: `before-${n}@example.com`,
      });
      if (!validated.ok) throw new Error('invalid test inquiry');
      return { ...validated.value, received_at: new Date() };
    };
    const before = [inquiry(1), inquiry(2), inquiry(3)];
    expect((await insertInquiries(pools[0]!, before, 'test')).stored.size).toBe(3);

    expect(await migrate(pools[0]!)).toEqual([4]);
    const { rows } = await pools[0]!.query<{ submitter: string | null }>(
      'SELECT submitter FROM inquiries',
    );
    expect(rows).toEqual(before.map(() => ({ submitter: null })));
    // Unscoped content still finds the old rows (auth off: a duplicate); a client's is its own.
    const alice = 'sub:alice';
    const client = await pools[0]!.connect();
    try {
      const opened = await openSubmitBatch(
        client,
        [
          { inquiry: before[0]!, hash: contentHash(before[0]!), submitter: null, key: undefined },
          {
            inquiry: before[1]!,
            hash: scopedTo(contentHash(before[1]!), principalHash(alice)),
            submitter: principalHash(alice),
            key: undefined,
          },
        ],
        [],
      );
      expect([...opened.existing.keys()]).toEqual([contentHash(before[0]!)]);
      expect([...opened.stored.keys()]).toEqual([
        scopedTo(contentHash(before[1]!), principalHash(alice)),
      ]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // The submitter and the scope of the content hash cannot disagree.
    await expect(
      pools[0]!.query(
        `INSERT INTO inquiries (content_hash, submitter, body, sender_email, source)
         VALUES ($1, $2, 'x', 'x@example.com', 'test')`,
        [contentHash(inquiry(4)), principalHash(alice)],
      ),
    ).rejects.toThrow(/inquiries_submitter_scopes_hash/);
    await expect(
      pools[0]!.query(
        `INSERT INTO inquiries (content_hash, body, sender_email, source)
         VALUES ($1, 'x', 'x@example.com', 'test')`,
        [scopedTo(contentHash(inquiry(5)), principalHash(alice))],
      ),
    ).rejects.toThrow(/inquiries_submitter_scopes_hash/);
  });

  it('rolls back a failing migration whole and names it', async () => {
    const broken = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (id int)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (id int); SELECT no_such_function()' },
    ];
    await expect(migrate(pools[0]!, broken)).rejects.toThrow('migration 2_broken failed');
    const { rows } = await pools[0]!.query(
      `SELECT to_regclass('a') AS a, to_regclass('schema_migrations') AS m`,
    );
    expect(rows[0]).toEqual({ a: null, m: null });
  });
});
