/**
 * Who may read and change an inquiry, with authentication on, against the real PostgreSQL: each
 * client reads the inquiries it submitted and no other (a 404, as a missing one), its content is
 * de-duplicated against its own only, staff read everything and alone change a status or give
 * feedback. With authentication off nothing changes.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { createApp } from '../../inference-server/src/app.js';
import type { AppDeps } from '../../inference-server/src/app-deps.js';
import { createMetrics } from '../../inference-server/src/metrics.js';
import { ModelHolder } from '../../inference-server/src/model/holder.js';
import { principalHash } from '../../inference-server/src/principal.js';
import { createLogger } from '../../lib/logger.js';
import { resolvePolicy } from '../../lib/routing/policy.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { createTestDatabase, trainSmallBundle } from './testbed.js';

const SECRET = 'authorization-test-secret-of-enough-length';

describe('inquiry authorization', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let models: ModelHolder;
  const servers: Server[] = [];
  let secured: string;
  let open: string;

  const listen = async (deps: AppDeps): Promise<string> => {
    const server = createApp(deps).listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authorization-test-'));
    await trainSmallBundle(dir, 5);
    database = await createTestDatabase('authorization');
    pool = createPool(database.url);
    await migrate(pool);
    models = new ModelHolder({ maxBatch: 32, maxWaitMs: 2 });
    await models.load(dir);
    const deps: AppDeps = {
      models,
      policy: { current: resolvePolicy({ defaultDepartment: 'desk' }) },
      pool,
      metrics: createMetrics(),
      logger: createLogger('test', 'silent'),
      clock: () => new Date(),
      limits: { bodyBytes: 64 * 1024, maxBatch: 50 },
      modelName: 'inquiry-classifier',
    };
    // One database, two servers: one requires tokens, the other (auth off) does not.
    secured = await listen({ ...deps, auth: { hs256Secret: SECRET } });
    open = await listen({ ...deps, metrics: createMetrics() });
  });

  afterAll(async () => {
    for (const server of servers) {
      server.close();
      await once(server, 'close');
    }
    await models.close();
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const token = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
  let tokens: { alice: string; bob: string; staff: string; admin: string };
  beforeAll(async () => {
    tokens = {
      alice: await token({ sub: 'client-alice', scope: 'inquiries' }),
      bob: await token({ sub: 'client-bob' }),
      staff: await token({ sub: 'desk-1', scope: 'inquiry:staff' }),
      admin: await token({ sub: 'ops-1', roles: ['inquiry:admin'] }),
    };
  });

  /** A request to `url` (the secured server unless said) as the holder of `bearer`. */
  const call = async (
    method: string,
    route: string,
    bearer: string | undefined,
    body?: unknown,
    url = secured,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${url}/api/v1/inquiries${route}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const inquiry = (tag: string) => ({
    subject: `Refund ${tag}`,
    body: `Invoice INV-${tag} was charged twice on our card, please refund it.`,
    sender_email: `customer-${tag}@example.com`,
  });
  const submitterOf = async (id: string): Promise<string | null> =>
    (
      await pool.query<{ submitter: string | null }>(
        'SELECT submitter FROM inquiries WHERE id = $1',
        [id],
      )
    ).rows[0]!.submitter;

  it("lets a client read its own inquiries, answers another's as missing, and lets staff read both", async () => {
    const alices = await call('POST', '/submit', tokens.alice, inquiry('read-a'));
    const bobs = await call('POST', '/submit', tokens.bob, inquiry('read-b'));
    expect([alices.status, bobs.status]).toEqual([201, 201]);
    const [a, b] = [alices.body.id as string, bobs.body.id as string];
    // Stored with the hash of the client, never its subject.
    expect(await submitterOf(a)).toBe(principalHash('sub:client-alice'));
    expect(await submitterOf(a)).not.toContain('alice');

    const own = await call('GET', `/${a}`, tokens.alice);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: a, subject: 'Refund read-a' });
    expect(own.body).not.toHaveProperty('submitter');

    const others = await call('GET', `/${b}`, tokens.alice);
    const missingId = '7d0f0c9e-0000-4000-8000-000000000000';
    const missing = await call('GET', `/${missingId}`, tokens.alice);
    expect(others).toEqual({
      status: 404,
      body: { error: { ...(missing.body.error as object), message: `no inquiry ${b}` } },
    });
    expect(missing.body.error).toMatchObject({ message: `no inquiry ${missingId}` });

    for (const staff of [tokens.staff, tokens.admin])
      for (const id of [a, b]) expect((await call('GET', `/${id}`, staff)).status).toBe(200);
  });

  it("stores the same content from two clients twice, and answers a client's own duplicate with its own id", async () => {
    const body = inquiry('shared');
    const alices = await call('POST', '/submit', tokens.alice, body);
    const bobs = await call('POST', '/submit', tokens.bob, body);
    expect([alices.status, bobs.status]).toEqual([201, 201]);
    expect(bobs.body.id).not.toBe(alices.body.id);
    const again = await call('POST', '/submit', tokens.bob, body);
    expect(again).toMatchObject({ status: 200, body: { id: bobs.body.id, duplicate: true } });
    // Within one transaction too: concurrent submits of one content by three clients.
    const carol = await token({ sub: 'client-carol' });
    const racing = await Promise.all(
      [tokens.alice, tokens.bob, carol, carol].map((t) =>
        call('POST', '/submit', t, inquiry('race')),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 201, 201, 201]);
    expect(new Set(racing.map((r) => r.body.id)).size).toBe(3);
    expect(racing[3]!.body.id).toBe(racing[2]!.body.id);
  });

  it('gives status changes and feedback to staff only; a client gets 403 naming the scope', async () => {
    const { body } = await call('POST', '/submit', tokens.alice, inquiry('handled'));
    const id = body.id as string;
    for (const bearer of [tokens.alice, tokens.bob]) {
      const patch = await call('PATCH', `/${id}`, bearer, { status: 'in_progress' });
      const feedback = await call('POST', `/${id}/feedback`, bearer, { department: 'desk' });
      for (const refused of [patch, feedback]) {
        expect(refused.status).toBe(403);
        expect((refused.body.error as { message: string }).message).toMatch(/"inquiry:staff"/);
      }
    }
    const feedbackRows = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM feedback WHERE inquiry_id = $1',
            [id],
          )
        ).rows[0]!.n,
      );
    expect(await feedbackRows()).toBe(0);
    expect((await call('GET', `/${id}`, tokens.staff)).body.routing).toMatchObject({
      status: 'open',
    });

    expect(await call('PATCH', `/${id}`, tokens.staff, { status: 'in_progress' })).toMatchObject({
      status: 200,
      body: { status: 'in_progress', previous_status: 'open' },
    });
    expect(
      await call('PATCH', `/${id}`, tokens.admin, { status: 'resolved', resolved_by: 'desk-1' }),
    ).toMatchObject({ status: 200, body: { status: 'resolved' } });
    expect(
      (await call('POST', `/${id}/feedback`, tokens.staff, { department: 'billing' })).status,
    ).toBe(201);
    expect(await feedbackRows()).toBe(1);
  });

  it('with authentication off, changes nothing: one content space, everyone reads and changes', async () => {
    const body = inquiry('open');
    const first = await call('POST', '/submit', undefined, body, open);
    const again = await call('POST', '/submit', undefined, body, open);
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id, duplicate: true } });
    const id = first.body.id as string;
    expect(await submitterOf(id)).toBeNull();
    expect((await call('GET', `/${id}`, undefined, undefined, open)).status).toBe(200);
    expect((await call('PATCH', `/${id}`, undefined, { status: 'in_progress' }, open)).status).toBe(
      200,
    );
    expect(
      (await call('POST', `/${id}/feedback`, undefined, { department: 'desk' }, open)).status,
    ).toBe(201);

    // With authentication on, an inquiry without a submitter is for staff only, and a client's
    // same content is an inquiry of its own.
    expect((await call('GET', `/${id}`, tokens.alice)).status).toBe(404);
    expect((await call('GET', `/${id}`, tokens.staff)).status).toBe(200);
    const alices = await call('POST', '/submit', tokens.alice, body);
    expect(alices.status).toBe(201);
    expect(alices.body.id).not.toBe(id);
  });
});
