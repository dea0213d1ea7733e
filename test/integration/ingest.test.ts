/** The ingest step against the real PostgreSQL: files, an HTTP JSON feed, a staging table. */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { ingest } from '../../pipelines/src/ingest/ingest.js';
import { fileSource, httpSource, stagingTableSource } from '../../pipelines/src/ingest/sources.js';
import { createTestDatabase } from './testbed.js';

const good = (i: number): Record<string, unknown> => ({
  id: `src-${i}`,
  subject: `Invoice ${i} is wrong`,
  body: `Hello, invoice INV-${i} charged us twice. Please refund.`,
  sender_email: `customer${i}@example.com`,
  channel: 'email',
  category: 'billing',
  sentiment: 'negative',
});

describe('ingest', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let dir: string;

  beforeEach(async () => {
    database = await createTestDatabase('ingest');
    pool = createPool(database.url);
    await migrate(pool);
    dir = await mkdtemp(path.join(tmpdir(), 'ingest-test-'));
  });

  afterEach(async () => {
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (table: string): Promise<number> =>
    Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

  it('stores good records, quarantines bad ones with the reason, and a re-run stores nothing twice', async () => {
    const lines = [
      JSON.stringify(good(1)),
      JSON.stringify(good(2)),
      JSON.stringify({ ...good(1), id: 'again', subject: 'INVOICE 1 IS WRONG' }),
      JSON.stringify({ ...good(3), sender_email: 'not-an-email' }),
      JSON.stringify({ ...good(4), body: '' }),
      JSON.stringify({ ...good(5), body: 'nul \u0000 inside' }),
      '{ this is not json',
      JSON.stringify(['an', 'array']),
    ];
    const file = path.join(dir, 'inquiries.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);

    const first = await ingest(pool, fileSource(file), {
      labelColumns: ['category', 'sentiment'],
      batchSize: 3,
    });
    expect(first).toMatchObject({ read: 8, stored: 2, duplicates: 1, quarantined: 5, labels: 4 });
    const reasons = (
      await pool.query<{ position: string; reason: string }>(
        'SELECT position, reason FROM quarantine ORDER BY id',
      )
    ).rows;
    expect(reasons).toEqual([
      {
        position: 'inquiries.jsonl:4',
        reason: 'sender_email is not a valid email address: it has no @',
      },
      { position: 'inquiries.jsonl:5', reason: 'body must not be empty' },
      { position: 'inquiries.jsonl:6', reason: 'body contains a NUL character' },
      { position: 'inquiries.jsonl:7', reason: 'not valid JSON' },
      { position: 'inquiries.jsonl:8', reason: 'not a JSON object' },
    ]);
    const stored = await pool.query<{
      external_id: string;
      sender_email: string;
      metadata: unknown;
      source: string;
    }>('SELECT external_id, sender_email, metadata, source FROM inquiries ORDER BY external_id');
    expect(stored.rows).toEqual([
      {
        external_id: 'src-1',
        sender_email: 'customer1@example.com',
        metadata: {},
        source: 'file:inquiries.jsonl',
      },
      {
        external_id: 'src-2',
        sender_email: 'customer2@example.com',
        metadata: {},
        source: 'file:inquiries.jsonl',
      },
    ]);
    const feedback = await pool.query<{ head: string; label: string }>(
      'SELECT head, label FROM feedback ORDER BY head, label',
    );
    expect(feedback.rows.map((row) => `${row.head}=${row.label}`)).toEqual([
      'category=billing',
      'category=billing',
      'sentiment=negative',
      'sentiment=negative',
    ]);

    const second = await ingest(pool, fileSource(file), {
      labelColumns: ['category', 'sentiment'],
    });
    expect(second).toMatchObject({ read: 8, stored: 0, duplicates: 3, quarantined: 5, labels: 0 });
    expect(await count('inquiries')).toBe(2);
    expect(await count('feedback')).toBe(4);

    const runs = await pool.query<{ status: string; stats: Record<string, number> }>(
      `SELECT status, stats FROM pipeline_runs WHERE step = 'ingest' ORDER BY started_at`,
    );
    expect(
      runs.rows.map((run) => [
        run.status,
        run.stats.stored,
        run.stats.duplicates,
        run.stats.quarantined,
      ]),
    ).toEqual([
      ['succeeded', 2, 1, 5],
      ['succeeded', 0, 3, 5],
    ]);
  });

  it('reads a folder of JSONL and CSV files, moving unknown columns into metadata', async () => {
    await writeFile(
      path.join(dir, 'a.jsonl'),
      `${JSON.stringify({ ...good(1), priority: 'p1' })}\n`,
    );
    await writeFile(
      path.join(dir, 'b.csv'),
      'subject,body,sender_email,region\n"Quote, please","We need 40 licenses, what is the price?",buyer@corp.example,emea\n',
    );
    await writeFile(path.join(dir, 'notes.txt'), 'ignored');
    const stats = await ingest(pool, fileSource(dir));
    expect(stats).toMatchObject({ read: 2, stored: 2, quarantined: 0 });
    const rows = (
      await pool.query<{ subject: string; metadata: Record<string, unknown> }>(
        'SELECT subject, metadata FROM inquiries ORDER BY subject',
      )
    ).rows;
    expect(rows).toEqual([
      {
        subject: 'Invoice 1 is wrong',
        metadata: { category: 'billing', sentiment: 'negative', priority: 'p1' },
      },
      { subject: 'Quote, please', metadata: { region: 'emea' } },
    ]);
  });

  describe('from an HTTP JSON feed', () => {
    let server: Server;
    let base: string;
    let requests: string[];
    let failNext: boolean;

    beforeEach(async () => {
      requests = [];
      failNext = true;
      server = createServer((req, res) => {
        requests.push(req.url!);
        const url = new URL(req.url!, 'http://feed');
        if (url.pathname === '/linked') {
          if (failNext) {
            failNext = false;
            res.writeHead(503).end();
            return;
          }
          const page = Number(url.searchParams.get('cursor') ?? '1');
          const body =
            page < 3
              ? { items: [good(page * 10)], next: `/linked?cursor=${page + 1}` }
              : { items: [good(30)] };
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        } else {
          const page = Number(url.searchParams.get('page'));
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(page <= 2 ? [good(100 + page)] : []));
        }
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });

    afterEach(async () => {
      server.close();
      await once(server, 'close');
    });

    it('follows next links, retrying a 503', async () => {
      const stats = await ingest(pool, httpSource(`${base}/linked`));
      expect(stats).toMatchObject({ read: 3, stored: 3, source: `http:${base}/linked` });
      expect(requests).toEqual(['/linked', '/linked', '/linked?cursor=2', '/linked?cursor=3']);
    });

    it('asks page after page until one is empty', async () => {
      const stats = await ingest(pool, httpSource(`${base}/paged`, { pageParam: 'page' }));
      expect(stats).toMatchObject({ read: 2, stored: 2 });
      expect(requests).toEqual(['/paged?page=1', '/paged?page=2', '/paged?page=3']);
    });
  });

  it('reads a staging table', async () => {
    await pool.query('CREATE SCHEMA staging');
    await pool.query(
      'CREATE TABLE staging.incoming (id int, title text, message text, email text)',
    );
    await pool.query(
      `INSERT INTO staging.incoming VALUES (1, 'Login broken', 'I cannot log in since today.', 'a@example.com'),
                                           (2, 'Bad', '', 'b@example.com')`,
    );
    const stats = await ingest(pool, stagingTableSource(pool, 'staging.incoming'));
    expect(stats).toMatchObject({ read: 2, stored: 1, quarantined: 1 });
    const { rows } = await pool.query<{ external_id: string; subject: string }>(
      'SELECT external_id, subject FROM inquiries',
    );
    expect(rows).toEqual([{ external_id: '1', subject: 'Login broken' }]);
  });

  it('stopped by its signal, commits the batch in hand, reads no more, and records the run failed', async () => {
    const file = path.join(dir, 'many.jsonl');
    await writeFile(
      file,
      `${Array.from({ length: 50 }, (_, i) => JSON.stringify(good(i))).join('\n')}\n`,
    );
    const controller = new AbortController();
    const stopped = await ingest(pool, fileSource(file), {
      batchSize: 10,
      signal: controller.signal,
      // The signal comes while the second batch is being read.
      onProgress: (stats) => {
        if (stats.read === 10)
          setImmediate(() => controller.abort(new Error('stopped by SIGTERM')));
      },
    });
    expect(stopped.stopped).toBe('stopped by SIGTERM');
    expect(stopped.read).toBeLessThan(50);
    expect(stopped.stored).toBe(stopped.read);
    expect(await count('inquiries')).toBe(stopped.read);
    const { rows } = await pool.query<{ status: string; error: string }>(
      'SELECT status, error FROM pipeline_runs',
    );
    expect(rows).toEqual([
      { status: 'failed', error: `stopped by SIGTERM after ${stopped.read} records` },
    ]);
    const rest = await ingest(pool, fileSource(file), { batchSize: 10 });
    expect([rest.read, rest.stored, rest.duplicates]).toEqual([
      50,
      50 - stopped.read,
      stopped.read,
    ]);
  });

  it('fails clearly, and records the failed run, when the source cannot be read', async () => {
    await expect(ingest(pool, fileSource(path.join(dir, 'missing.jsonl')))).rejects.toThrow(
      /ingest from file:missing\.jsonl failed after 0 records: cannot read/,
    );
    const { rows } = await pool.query<{ status: string; error: string }>(
      'SELECT status, error FROM pipeline_runs',
    );
    expect(rows).toEqual([
      { status: 'failed', error: expect.stringMatching(/cannot read/) as string },
    ]);
  });
});
