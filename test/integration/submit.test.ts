/**
 * The submit path under concurrency, against the real PostgreSQL: group commit answers each
 * request with its own result, a request that fails does so alone and leaves no row,
 * idempotency and duplicate detection hold, consultants are not double-booked across
 * replicas, and inquiries get resolved, with their statistics.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { createApp } from '../../inference-server/src/app.js';
import { createMetrics } from '../../inference-server/src/metrics.js';
import { Classifier } from '../../inference-server/src/model/classifier.js';
import { ModelHolder } from '../../inference-server/src/model/holder.js';
import { SubmitUseCase } from '../../inference-server/src/submit.js';
import { validateInquiry, type InquiryInput } from '../../lib/inquiry.js';
import { createLogger } from '../../lib/logger.js';
import { insertInquiries } from '../../lib/store/inquiries.js';
import { inquiryText } from '../../lib/model/runtime.js';
import { resolvePolicy, type Policy } from '../../lib/routing/policy.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { createTestDatabase } from './testbed.js';

const logger = createLogger('test', 'silent');
const CATEGORIES = ['technical_support', 'billing', 'sales', 'hr', 'legal', 'product_feedback'];

/** Every category to one pool of three consultants; nothing triaged, so everyone is assigned. */
const onePoolPolicy: Policy = resolvePolicy({
  defaultDepartment: 'desk',
  departments: CATEGORIES.map((category) => ({
    category,
    department: 'desk',
    consultantPool: 'desk-team',
  })),
  consultantPools: [{ name: 'desk-team', consultants: ['c-1', 'c-2', 'c-3'] }],
  triage: { confidenceBelow: 0 },
});

function inquiry(n: number, tag: string): Record<string, unknown> {
  return {
    subject: `Invoice ${tag}-${n}`,
    body: `Invoice INV-${tag}-${n} was charged twice on our card, please refund it.`,
    sender_email: `customer-${n}@example.com`,
  };
}

function valid(body: Record<string, unknown>): InquiryInput {
  const validated = validateInquiry(body);
  if (!validated.ok) throw new Error(`test inquiry is invalid: ${JSON.stringify(validated)}`);
  return validated.value;
}

describe('submit under concurrency', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pools: pg.Pool[];
  let models: ModelHolder;
  let servers: Server[];
  let urls: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'submit-test-'));
    const data = generateInquiries({ n: 3000, seed: 3 }).map((g) => ({
      text: inquiryText(g),
      labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
    }));
    await writeBundle(
      dir,
      trainModel(data, {
        ...DEFAULT_TRAIN_OPTIONS,
        seed: 3,
        dim: 16,
        buckets: 4096,
        vocabSize: 4000,
      }),
    );
    database = await createTestDatabase('submit');
    // Two pools, two apps: two replicas of the server on one database.
    pools = [createPool(database.url), createPool(database.url)];
    await migrate(pools[0]!);
    models = new ModelHolder({ maxBatch: 32, maxWaitMs: 2 });
    await models.load(dir);
    servers = [];
    urls = [];
    for (const pool of pools) {
      const server = createApp({
        models,
        policy: { current: onePoolPolicy },
        pool,
        metrics: createMetrics(),
        logger,
        clock: () => new Date(),
        limits: { bodyBytes: 64 * 1024, maxBatch: 50 },
        modelName: 'inquiry-classifier',
      }).listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      servers.push(server);
      urls.push(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    }
  });

  afterAll(async () => {
    for (const server of servers) {
      server.close();
      await once(server, 'close');
    }
    await models.close();
    await Promise.all(pools.map((pool) => pool.end()));
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const submit = async (
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${url}/api/v1/inquiries/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const count = async (sql: string, values: unknown[] = []): Promise<number> =>
    Number((await pools[0]!.query<{ n: string }>(sql, values)).rows[0]!.n);
  const until = async (condition: () => Promise<boolean> | boolean): Promise<void> => {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it('answers each of many concurrent submits with its own result, sharing transactions', async () => {
    const requests = Array.from({ length: 80 }, (_, i) => inquiry(i, 'own'));
    const answers = await Promise.all(requests.map((body, i) => submit(urls[i % 2]!, body)));
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 201));
    const ids = answers.map((a) => a.body.id as string);
    expect(new Set(ids).size).toBe(80);
    const { rows } = await pools[0]!.query<{ id: string; subject: string; xmin: string }>(
      'SELECT id, subject, xmin::text FROM inquiries WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const subjectById = new Map(rows.map((row) => [row.id, row.subject]));
    expect(ids.map((id) => subjectById.get(id))).toEqual(requests.map((r) => r.subject));
    // Rows written by one transaction share its id: fewer transactions than requests.
    expect(new Set(rows.map((row) => row.xmin)).size).toBeLessThan(80);
    expect(
      await count(
        `SELECT count(*) AS n FROM routing_decisions r JOIN predictions p USING (inquiry_id)
          WHERE r.inquiry_id = ANY($1::uuid[])`,
        [ids],
      ),
    ).toBe(80 * 3);
  });

  /** The submit use case on the first server's pool, as the server builds it. */
  const submitUseCase = (limits: { maxInFlight?: number; maxWaiting?: number } = {}) => {
    const metrics = createMetrics();
    return new SubmitUseCase({
      pool: pools[0]!,
      classifier: new Classifier(models, metrics),
      policy: { current: onePoolPolicy },
      metrics,
      ...limits,
    });
  };

  it('fails one bad request alone and stores nothing for it', async () => {
    // A real constraint of the database refuses one inquiry in the middle of a batch.
    await pools[0]!.query(
      `ALTER TABLE inquiries ADD CONSTRAINT test_refuses_poison CHECK (subject <> 'poison')`,
    );
    try {
      const useCase = submitUseCase();
      const bodies = Array.from({ length: 20 }, (_, i) =>
        i === 10 ? { ...inquiry(i, 'alone'), subject: 'poison' } : inquiry(i, 'alone'),
      );
      const outcomes = await Promise.allSettled(
        bodies.map((body, i) =>
          useCase.submit({
            input: valid(body),
            idempotencyKey: `alone-${i}`,
            started: performance.now(),
          }),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(
        bodies.map((_, i) => (i === 10 ? 'rejected' : 'fulfilled')),
      );
      expect(String((outcomes[10] as PromiseRejectedResult).reason)).toMatch(/test_refuses_poison/);
      expect(
        await count(`SELECT count(*) AS n FROM inquiries WHERE subject LIKE 'Invoice alone-%'`),
      ).toBe(19);
      expect(await count(`SELECT count(*) AS n FROM inquiries WHERE subject = 'poison'`)).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM idempotency_keys WHERE key = 'alone-10'`)).toBe(
        0,
      );
      expect(
        await count(`SELECT count(*) AS n FROM idempotency_keys WHERE key LIKE 'alone-%'`),
      ).toBe(19);
    } finally {
      await pools[0]!.query('ALTER TABLE inquiries DROP CONSTRAINT test_refuses_poison');
    }
  });

  it('refuses a submit with 503 when too many wait for the database, and stores nothing for it', async () => {
    const useCase = submitUseCase({ maxInFlight: 1, maxWaiting: 1 });
    // Another session holds the consultants' rows: the first transaction waits on them.
    const blocker = await pools[1]!.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM consultant_loads FOR UPDATE');
    const submitOne = (n: number) =>
      useCase.submit({ input: valid(inquiry(n, 'bounded')), started: performance.now() });
    const first = submitOne(1);
    await until(
      async () => (await count('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')) > 0,
    );
    const second = submitOne(2);
    await until(() => useCase.waiting === 1);
    await expect(submitOne(3)).rejects.toMatchObject({ status: 503 });
    await blocker.query('COMMIT');
    blocker.release();
    expect((await first).status).toBe(201);
    expect((await second).status).toBe(201);
    expect(
      await count(`SELECT count(*) AS n FROM inquiries WHERE subject = 'Invoice bounded-3'`),
    ).toBe(0);
  });

  it('decides a batch as one-by-one submits would: a refused key does not hide its content from a neighbour', async () => {
    const useCase = submitUseCase();
    const submitOne = (body: Record<string, unknown>, idempotencyKey?: string) =>
      useCase.submit({
        input: valid(body),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        started: performance.now(),
      });
    expect((await submitOne(inquiry(1, 'order'), 'order-key')).status).toBe(201);
    // The consultants' rows held elsewhere: the first submit waits, the next four queue behind it
    // and go in one transaction.
    const blocker = await pools[1]!.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM consultant_loads FOR UPDATE');
    const quoted = {
      ...inquiry(3, 'order'),
      subject: `it's a \\ back'slash $$ '); DROP TABLE inquiries; --`,
    };
    const first = submitOne(inquiry(9, 'order'));
    await until(
      async () => (await count('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')) > 0,
    );
    const batch = [
      submitOne(inquiry(2, 'order'), 'order-key'), // the key's first request was another
      submitOne(inquiry(2, 'order')), // the same content without a key
      submitOne(quoted, 'order-key-2'),
      submitOne(quoted, 'order-key-2'), // the same key again in the batch
    ];
    await until(() => useCase.waiting === 4);
    await blocker.query('COMMIT');
    blocker.release();
    expect((await first).status).toBe(201);
    const [conflict, neighbour, keyed, again] = await Promise.allSettled(batch);
    expect(conflict).toMatchObject({ status: 'rejected', reason: { name: 'IdempotencyConflict' } });
    expect(neighbour).toMatchObject({ status: 'fulfilled', value: { status: 201 } });
    expect(keyed).toMatchObject({ status: 'fulfilled', value: { status: 201 } });
    expect(again).toMatchObject({ status: 'fulfilled', value: { outcome: 'replayed' } });
    expect((again as PromiseFulfilledResult<{ body: unknown }>).value.body).toEqual(
      (keyed as PromiseFulfilledResult<{ body: unknown }>).value.body,
    );
    const { rows } = await pools[0]!.query<{ subject: string }>(
      `SELECT subject FROM inquiries WHERE subject LIKE 'Invoice order-%' OR subject LIKE 'it''s%'
        ORDER BY subject`,
    );
    expect(rows.map((row) => row.subject)).toEqual(
      [quoted.subject, 'Invoice order-1', 'Invoice order-2', 'Invoice order-9'].sort(),
    );
  });

  it('stores one row for 20 concurrent retries of one idempotency key, all with the first answer', async () => {
    const body = inquiry(1, 'retried');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submit(urls[i % 2]!, body, { 'idempotency-key': 'retried-key' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((a) => JSON.stringify(a.body.id))).size).toBe(1);
    for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
    expect(
      await count(`SELECT count(*) AS n FROM inquiries WHERE subject = 'Invoice retried-1'`),
    ).toBe(1);
    const conflict = await submit(urls[0]!, inquiry(2, 'retried'), {
      'idempotency-key': 'retried-key',
    });
    expect(conflict.status).toBe(422);
    expect((conflict.body.error as { code: string }).code).toBe('idempotency_conflict');
  });

  it('stores the same content once when it arrives 20 times at once', async () => {
    const body = inquiry(1, 'twin');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => submit(urls[i % 2]!, body)),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate === true)).toHaveLength(19);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(
      await count(`SELECT count(*) AS n FROM inquiries WHERE subject = 'Invoice twin-1'`),
    ).toBe(1);
  });

  it('assigns consultants without double-booking across two replicas', async () => {
    // Every test before this one assigned consultants too: the loads checked below are all of theirs.
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => submit(urls[i % 2]!, inquiry(i, 'booked'))),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const { rows } = await pools[0]!.query<{ consultant: string; open: number; counted: string }>(
      `SELECT l.consultant, l.open,
              (SELECT count(*) FROM routing_decisions r WHERE r.consultant = l.consultant AND r.resolved_at IS NULL) AS counted
         FROM consultant_loads l ORDER BY l.consultant`,
    );
    expect(rows.map((row) => row.consultant)).toEqual(['c-1', 'c-2', 'c-3']);
    // The counter the database keeps is the count of open decisions.
    for (const row of rows) expect(row.open).toBe(Number(row.counted));
    // Least-loaded-first from fresh (locked) loads keeps everyone within one of each other.
    const loads = rows.map((row) => row.open);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
  });

  it('resolves inquiries: the load drops, and statistics report open, resolved and time to resolution', async () => {
    const created = await submit(urls[0]!, inquiry(1, 'resolve'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const consultant = (created.body.routing as { consultant: string }).consultant;
    const load = async (): Promise<number> =>
      (
        await pools[0]!.query<{ open: number }>(
          'SELECT open FROM consultant_loads WHERE consultant = $1',
          [consultant],
        )
      ).rows[0]!.open;
    const patch = (body: unknown, target = id) =>
      fetch(`${urls[1]!}/api/v1/inquiries/${target}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const openLoad = await load();

    const started = await patch({ status: 'in_progress' });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ status: 'in_progress', previous_status: 'open' });
    expect(await load()).toBe(openLoad);

    const resolved = await patch({ status: 'resolved', resolved_by: 'agent-7' });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      status: 'resolved',
      previous_status: 'in_progress',
      consultant,
      resolved_by: 'agent-7',
      resolved_at: expect.any(String) as string,
    });
    expect(await load()).toBe(openLoad - 1);

    const stored = (await (await fetch(`${urls[0]!}/api/v1/inquiries/${id}`)).json()) as {
      routing: Record<string, unknown>;
    };
    expect(stored.routing).toMatchObject({ status: 'resolved', resolved_by: 'agent-7' });

    const stats = (await (await fetch(`${urls[0]!}/api/v1/stats?hours=1`)).json()) as {
      total: number;
      byStatus: { open: number; inProgress: number; resolved: number };
      timeToResolution: { resolved: number; p50Seconds: number };
    };
    expect(stats.byStatus.resolved).toBe(1);
    expect(stats.byStatus.open + stats.byStatus.inProgress + stats.byStatus.resolved).toBe(
      stats.total,
    );
    expect(stats.timeToResolution.resolved).toBe(1);
    expect(stats.timeToResolution.p50Seconds).toBeGreaterThanOrEqual(0);

    const reopened = await patch({ status: 'open' });
    expect(await reopened.json()).toMatchObject({
      status: 'open',
      resolved_by: null,
      resolved_at: null,
    });
    expect(await load()).toBe(openLoad);

    const metrics = await (await fetch(`${urls[1]!}/metrics`)).text();
    expect(metrics).toMatch(/inquiry_status_changes_total\{status="resolved"\} 1/);
    expect(metrics).toMatch(/inquiry_time_to_resolution_seconds_count 1/);
    expect(metrics).toMatch(/inquiry_open_inquiries \d+/);
  });

  it('says what is wrong with a bad status change', async () => {
    const created = await submit(urls[0]!, inquiry(2, 'resolve'));
    const id = created.body.id as string;
    const { stored } = await insertInquiries(pools[0]!, [valid(inquiry(3, 'unrouted'))], 'test');
    const unrouted = [...stored.values()][0]!;
    const cases: [string, unknown, number, RegExp][] = [
      [id, { status: 'done' }, 422, /status must be one of open, in_progress, resolved/],
      [id, { status: 'resolved' }, 422, /resolved_by must say who resolved/],
      [id, { status: 'in_progress', resolved_by: 'x' }, 422, /only given with status resolved/],
      [id, { status: 'open', owner: 'x' }, 422, /owner is not a known field/],
      [id, ['resolved'], 400, /send \{"status"/],
      ['not-a-uuid', { status: 'open' }, 400, /not an inquiry id/],
      [unrouted, { status: 'in_progress' }, 409, /has not been classified and routed yet/],
      ['00000000-0000-4000-8000-000000000000', { status: 'open' }, 404, /no inquiry/],
    ];
    for (const [target, body, status, message] of cases) {
      const response = await fetch(`${urls[0]!}/api/v1/inquiries/${target}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { error: { message: string } };
      expect([response.status, answer.error.message]).toEqual([
        status,
        expect.stringMatching(message),
      ]);
    }
  });
});
