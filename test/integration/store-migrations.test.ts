/** Schema migrations on the real PostgreSQL. */
import type pg from 'pg';
import { migrate } from '../../lib/store/migrate.js';
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
    expect([...first!, ...second!].sort()).toEqual([1, 2, 3]);
    const { rows } = await pools[0]!.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
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
