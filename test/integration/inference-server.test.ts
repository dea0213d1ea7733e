/**
 * The inference server over HTTP, with real parts: a trained bundle on onnxruntime, the routing
 * policy file, the test bed's PostgreSQL (and a PostgreSQL of its own for the outage test).
 */
import { once } from 'node:events';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import type pg from 'pg';
import { createLogger } from '../../lib/logger.js';
import { createApp } from '../../inference-server/src/app.js';
import type { AppDeps } from '../../inference-server/src/app-deps.js';
import { createMetrics } from '../../inference-server/src/metrics.js';
import { ModelHolder } from '../../inference-server/src/model/holder.js';
import { PolicyHolder } from '../../inference-server/src/policy-holder.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { startPostgres, startPostgresServer } from '../../scripts/testbed/postgres.js';
import { stopDaemon } from '../../scripts/testbed/processes.js';
import { Run } from '../../scripts/testbed/runs.js';
import { signalPostgres } from '../server-process.js';
import { createTestDatabase, trainSmallBundle } from './testbed.js';

const logger = createLogger('test', 'silent');

interface Harness {
  url: string;
  deps: AppDeps;
  close: () => Promise<void>;
}

async function serve(deps: AppDeps): Promise<Harness> {
  const server: Server = createApp(deps).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    deps,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}

describe('inference server', () => {
  let dir: string;
  let bundleA: string;
  let bundleB: string;
  let policyFile: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let models: ModelHolder;
  let policy: PolicyHolder;
  let harness: Harness;
  let metrics: ReturnType<typeof createMetrics>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'server-test-'));
    [bundleA, bundleB] = await Promise.all([
      trainSmallBundle(path.join(dir, 'a'), 1),
      trainSmallBundle(path.join(dir, 'b'), 2),
    ]);
    policyFile = path.join(dir, 'routing_rules.yaml');
    await copyFile(new URL('../../config/routing_rules.yaml', import.meta.url), policyFile);
    database = await createTestDatabase('server');
    pool = createPool(database.url);
    await migrate(pool);
    metrics = createMetrics();
    models = new ModelHolder({ maxBatch: 32, maxWaitMs: 2 });
    await models.load(bundleA);
    policy = await PolicyHolder.load(policyFile, logger, (result) =>
      metrics.policyReloads.inc({ result }),
    );
    harness = await serve({
      models,
      policy,
      pool,
      metrics,
      logger,
      clock: () => new Date(),
      limits: { bodyBytes: 64 * 1024, maxBatch: 50 },
      modelName: 'inquiry-classifier',
    });
  });

  afterAll(async () => {
    await harness.close();
    await models.close();
    await pool.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (
    route: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> =>
    fetch(`${harness.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' && headers.raw ? body : JSON.stringify(body),
    });
  const json = async (response: Response): Promise<Record<string, unknown>> =>
    (await response.json()) as Record<string, unknown>;

  const inquiry = {
    subject: 'Charged twice',
    body: 'Hello, invoice INV-2031 was charged twice on our card. Please refund it asap.',
    sender_email: 'Finance.Team@Example.com',
  };

  describe('classify', () => {
    it('classifies a bare JSON string and an object, with all scores on request', async () => {
      const bare = await post(
        '/api/v1/inquiries/classify',
        'Our production system is down, nobody can log in',
      );
      expect(bare.status).toBe(200);
      const body = await json(bare);
      expect(body).toMatchObject({
        category: { label: 'technical_support' },
        urgency: {
          label: 'critical',
          matched_terms: expect.arrayContaining(['system is down']) as unknown,
        },
        model_version: models.runtime!.version,
      });
      const scored = await json(
        await post('/api/v1/inquiries/classify?include_all_scores=true', {
          subject: 'Quote',
          body: 'Can we get pricing for 200 seats?',
        }),
      );
      const scores = (scored.category as { scores: Record<string, number> }).scores;
      expect(Object.keys(scores).sort()).toEqual([
        'billing',
        'hr',
        'legal',
        'product_feedback',
        'sales',
        'technical_support',
      ]);
      expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    });

    it('classifies a batch in one call and refuses one over the limit', async () => {
      const response = await post('/api/v1/inquiries/classify/batch', {
        texts: ['invoice wrong', { body: 'love the new dashboard' }, 'need vacation days'],
      });
      expect(response.status).toBe(200);
      expect(((await json(response)).results as unknown[]).length).toBe(3);
      const tooMany = await post('/api/v1/inquiries/classify/batch', {
        texts: Array.from({ length: 51 }, () => 'x'),
      });
      expect(tooMany.status).toBe(413);
      const bad = await post('/api/v1/inquiries/classify/batch', { texts: ['ok', ''] });
      expect(bad.status).toBe(422);
      expect(((await json(bad)).error as { message: string }).message).toMatch(/^texts\[1\]: /);
    });

    it('refuses fields it does not know, at the top of a batch and in a single classify', async () => {
      const cases: [route: string, body: unknown, fields: string[]][] = [
        ['/api/v1/inquiries/classify/batch', { texts: ['invoice wrong'], txts: 1 }, ['txts']],
        ['/api/v1/inquiries/classify/batch', { txts: ['invoice wrong'] }, ['txts', 'texts']],
        ['/api/v1/inquiries/classify/batch', { texts: [{ body: 'x', lang: 'en' }] }, ['lang']],
        ['/api/v1/inquiries/classify', { body: 'invoice wrong', sender: 'a@b.es' }, ['sender']],
      ];
      for (const [route, body, fields] of cases) {
        const response = await post(route, body);
        const { error } = (await json(response)) as {
          error: { code: string; details: { field: string }[] };
        };
        expect([route, response.status, error.code, error.details.map((d) => d.field)]).toEqual([
          route,
          422,
          'invalid_input',
          fields,
        ]);
      }
    });
  });

  describe('submit, read back, feedback', () => {
    it('stores an inquiry with its classification and routing, and returns it', async () => {
      const response = await post('/api/v1/inquiries/submit', inquiry);
      expect(response.status).toBe(201);
      const body = await json(response);
      expect(body).toMatchObject({
        category: { label: 'billing' },
        routing: { department: 'finance', consultant_pool: 'billing-team', escalated: false },
        model_version: models.runtime!.version,
      });
      expect((body.routing as { priority_score: number }).priority_score).toBeGreaterThanOrEqual(0);
      const stored = await json(
        await fetch(`${harness.url}/api/v1/inquiries/${body.id as string}`),
      );
      expect(stored).toMatchObject({
        id: body.id,
        sender_email: 'Finance.Team@Example.com',
        routing: { department: 'finance' },
      });
      expect((stored.predictions as unknown[]).length).toBe(3);

      const duplicate = await post('/api/v1/inquiries/submit', inquiry);
      expect(duplicate.status).toBe(200);
      expect(await json(duplicate)).toMatchObject({ id: body.id, duplicate: true });

      const feedback = await post(`/api/v1/inquiries/${body.id as string}/feedback`, {
        category: 'billing',
        sentiment: 'negative',
        reviewer: 'qa',
      });
      expect(feedback.status).toBe(201);
      expect(await json(feedback)).toMatchObject({ agrees_with_prediction: { category: true } });
      const after = await json(await fetch(`${harness.url}/api/v1/inquiries/${body.id as string}`));
      expect((after.feedback as unknown[]).length).toBe(2);
    });

    it('stores internationalised sender addresses as given and reads them back intact', async () => {
      const senders = ['josé@ejemplo.es', '用户@例子.广告', 'Jörg.Meier@Bücher.de'];
      for (const [i, sender] of senders.entries()) {
        const response = await post('/api/v1/inquiries/submit', {
          ...inquiry,
          body: `${inquiry.body} (sender ${i})`,
          sender_email: ` ${sender}\t`,
        });
        expect([sender, response.status]).toEqual([sender, 201]);
        const { id } = await json(response);
        const readBack = await json(await fetch(`${harness.url}/api/v1/inquiries/${id as string}`));
        expect(readBack.sender_email).toBe(sender);
        const { rows } = await pool.query<{ sender_email: string }>(
          'SELECT sender_email FROM inquiries WHERE id = $1',
          [id],
        );
        expect(rows).toEqual([{ sender_email: sender }]);
      }
      for (const [sender, reason] of [
        ['josé@@ejemplo.es', 'it has more than one @'],
        ['josé@ejemplo', 'the domain has no dot (e.g. example.com)'],
        ['jo sé@ejemplo.es', 'it has a space, control or invisible character (U+0020)'],
      ]) {
        const refused = await post('/api/v1/inquiries/submit', {
          ...inquiry,
          sender_email: sender,
        });
        expect(refused.status).toBe(422);
        expect(await json(refused)).toEqual({
          error: {
            code: 'invalid_input',
            message: `the request is not valid: sender_email is not a valid email address: ${reason}`,
            details: [
              { field: 'sender_email', message: `is not a valid email address: ${reason}` },
            ],
          },
        });
      }
    });

    it('as a Shadow candidate (SERVING_ROLE=shadow), classifies mirrored requests and stores nothing', async () => {
      const shadowMetrics = createMetrics();
      const shadow = await serve({
        ...harness.deps,
        metrics: shadowMetrics,
        servingRole: 'shadow',
      });
      const count = async () =>
        (
          await pool.query<{ n: string }>(
            'SELECT (SELECT count(*) FROM inquiries) + (SELECT count(*) FROM feedback) AS n',
          )
        ).rows[0]!.n;
      try {
        const stored = await json(
          await post('/api/v1/inquiries/submit', {
            ...inquiry,
            body: `${inquiry.body} (shadow test)`,
          }),
        );
        const before = await count();
        const mirrored = await fetch(`${shadow.url}/api/v1/inquiries/submit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...inquiry, body: `${inquiry.body} (shadow test)` }),
        });
        expect(mirrored.status).toBe(202);
        const answer = await json(mirrored);
        expect(answer).toMatchObject({ shadow: true, category: { label: 'billing' } });
        expect(answer).not.toHaveProperty('id');
        expect(answer).not.toHaveProperty('duplicate');
        const feedback = await fetch(
          `${shadow.url}/api/v1/inquiries/${stored.id as string}/feedback`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ category: 'billing' }),
          },
        );
        expect(feedback.status).toBe(202);
        expect(await count()).toBe(before);
        const exposition = await shadowMetrics.registry.metrics();
        expect(exposition).toMatch(/inquiry_submissions_total\{outcome="shadow"\} 1/);
      } finally {
        await shadow.close();
      }
    });

    it('answers a retried submit with the first answer and stores nothing twice', async () => {
      const request = { ...inquiry, body: `${inquiry.body} (retry test)` };
      const first = await post('/api/v1/inquiries/submit', request, { 'idempotency-key': 'key-1' });
      const second = await post('/api/v1/inquiries/submit', request, {
        'idempotency-key': 'key-1',
      });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      // Byte for byte: the same body text, not only the same JSON value.
      expect(await second.text()).toBe(await first.text());
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
      const { rows } = await pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM inquiries WHERE body LIKE '%(retry test)'",
      );
      expect(rows[0]!.n).toBe('1');
      const reused = await post(
        '/api/v1/inquiries/submit',
        { ...request, body: 'something else entirely' },
        { 'idempotency-key': 'key-1' },
      );
      expect(reused.status).toBe(422);
      expect(((await json(reused)).error as { code: string }).code).toBe('idempotency_conflict');
    });

    it('says clearly what is wrong with bad requests', async () => {
      const cases: [Promise<Response>, number, RegExp][] = [
        [
          post('/api/v1/inquiries/submit', { body: '', sender_email: 'x' }),
          422,
          /body must not be empty; sender_email is not a valid email address/,
        ],
        [
          post('/api/v1/inquiries/submit', { ...inquiry, body: 'x'.repeat(20_001) }),
          422,
          /at most 20000 characters/,
        ],
        [
          post('/api/v1/inquiries/submit', { ...inquiry, body: 'y'.repeat(70 * 1024) }),
          413,
          /too large/i,
        ],
        [
          fetch(`${harness.url}/api/v1/inquiries/submit`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{broken',
          }),
          400,
          /not valid JSON/,
        ],
        [
          fetch(`${harness.url}/api/v1/inquiries/submit`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: 'hi',
          }),
          415,
          /Content-Type: application\/json/,
        ],
        [fetch(`${harness.url}/api/v1/inquiries/not-a-uuid`), 400, /not an inquiry id/],
        [
          fetch(`${harness.url}/api/v1/inquiries/00000000-0000-4000-8000-000000000000`),
          404,
          /no inquiry/,
        ],
        [
          post('/api/v1/inquiries/00000000-0000-4000-8000-000000000000/feedback', {
            category: 'billing',
          }),
          404,
          /no inquiry/,
        ],
        [
          post('/api/v1/inquiries/00000000-0000-4000-8000-000000000000/feedback', {}),
          422,
          /at least one corrected label/,
        ],
        [fetch(`${harness.url}/api/v1/stats?from=yesterday`), 400, /ISO 8601/],
        [fetch(`${harness.url}/nowhere`), 404, /no route GET \/nowhere/],
      ];
      for (const [pending, status, message] of cases) {
        const response = await pending;
        const body = await json(response);
        expect([response.status, (body.error as { message: string }).message]).toEqual([
          status,
          expect.stringMatching(message),
        ]);
      }
    });

    it('never answers a random payload with a 500', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.jsonValue(),
          fc.constantFrom(
            '/api/v1/inquiries/submit',
            '/api/v1/inquiries/classify',
            '/api/v1/inquiries/classify/batch',
            '/v2/models/inquiry-classifier/infer',
          ),
          async (payload, route) => {
            const response = await post(route, payload);
            expect(response.status).toBeLessThan(500);
            await response.body?.cancel();
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  it('reports statistics over a window', async () => {
    const stats = await json(await fetch(`${harness.url}/api/v1/stats?hours=1`));
    expect(stats.total).toBeGreaterThanOrEqual(2);
    expect(stats.byDepartment).toMatchObject({ finance: expect.any(Number) as number });
    expect(stats).toHaveProperty('escalationRate');
  });

  it('speaks the Open Inference Protocol', async () => {
    expect(await json(await fetch(`${harness.url}/v2/health/ready`))).toEqual({ ready: true });
    const metadata = await json(await fetch(`${harness.url}/v2/models/inquiry-classifier`));
    expect(metadata).toMatchObject({
      name: 'inquiry-classifier',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
    });
    const inferences = async (): Promise<number> =>
      (await metrics.inferences.get()).values.find(
        (v) => v.labels.head === 'category' && v.labels.model_version === models.runtime!.version,
      )?.value ?? 0;
    const before = await inferences();
    const response = await post('/v2/models/inquiry-classifier/infer', {
      id: 'r1',
      inputs: [
        {
          name: 'text',
          datatype: 'BYTES',
          shape: [2],
          data: ['refund my invoice', 'the app crashes on login'],
        },
      ],
    });
    const body = await json(response);
    expect(body).toMatchObject({ id: 'r1', model_name: 'inquiry-classifier' });
    const category = (body.outputs as { name: string; data: unknown[] }[]).find(
      (o) => o.name === 'category',
    )!;
    expect(category.data).toEqual(['billing', 'technical_support']);
    // The per-version metrics a canary is judged by count this entry point too.
    expect((await inferences()) - before).toBe(2);
    expect((await fetch(`${harness.url}/v2/models/other`)).status).toBe(404);

    // Requested outputs: those asked for, in their order; an unknown one is a 400 naming it.
    const input = { name: 'text', datatype: 'BYTES', shape: [1], data: ['refund my invoice'] };
    const asked = await json(
      await post('/v2/models/inquiry-classifier/infer', {
        inputs: [input],
        outputs: [{ name: 'urgency' }, { name: 'category_confidence' }],
      }),
    );
    expect(asked.outputs).toEqual([
      { name: 'urgency', datatype: 'BYTES', shape: [1], data: [expect.any(String)] },
      { name: 'category_confidence', datatype: 'FP32', shape: [1], data: [expect.any(Number)] },
    ]);
    const names = (metadata.outputs as { name: string }[]).map((o) => o.name);
    const refusals: [unknown, string][] = [
      [
        { inputs: [input], outputs: [{ name: 'category' }, { name: 'topic' }] },
        `unknown output "topic": this model has ${names.map((n) => `"${n}"`).join(', ')}`,
      ],
      [
        { inputs: [{ ...input, name: 'input_ids' }] },
        'unknown input "input_ids": this model has one input, "text"',
      ],
      [
        { inputs: [{ ...input, datatype: 'INT64' }] },
        'input "text" has datatype BYTES (texts), not "INT64"',
      ],
    ];
    for (const [request, message] of refusals) {
      const refused = await post('/v2/models/inquiry-classifier/infer', request);
      expect([
        refused.status,
        ((await json(refused)).error as { message: string }).message,
      ]).toEqual([400, message]);
    }
    // A field the protocol does not define is a 400 naming it; its `parameters` are taken.
    const misspelt = await post('/v2/models/inquiry-classifier/infer', {
      inputs: [input],
      output: [{ name: 'urgency' }],
    });
    expect([misspelt.status, await json(misspelt)]).toEqual([
      400,
      {
        error: {
          code: 'invalid_input',
          message:
            'the request is not valid: output is not a known field (id, parameters, inputs, outputs)',
          details: [
            { field: 'output', message: 'is not a known field (id, parameters, inputs, outputs)' },
          ],
        },
      },
    ]);
    const withParameters = await post('/v2/models/inquiry-classifier/infer', {
      parameters: { sequence_id: 1 },
      inputs: [{ ...input, parameters: { content_type: 'str' } }],
    });
    expect(withParameters.status).toBe(200);
  });

  it('exposes health, readiness, metrics and the API document', async () => {
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    expect(await json(await fetch(`${harness.url}/readyz`))).toMatchObject({
      ready: true,
      database: 'up',
    });
    const exposition = await (await fetch(`${harness.url}/metrics`)).text();
    for (const name of [
      'inquiry_http_requests_total',
      'inquiry_submissions_total',
      'inquiry_inference_duration_seconds',
      'inquiry_prediction_confidence',
      'inquiry_routing_decisions_total',
      'inquiry_feedback_total',
    ]) {
      expect(exposition).toContain(name);
    }
    expect(exposition).not.toContain('example.com');
    const openapi = await json(await fetch(`${harness.url}/docs/openapi.json`));
    expect(openapi.openapi).toBe('3.1.0');
    expect(await (await fetch(`${harness.url}/docs`)).text()).toContain('/api/v1/inquiries/submit');
  });

  it('reloads the routing policy on change, and keeps it when the new one is invalid', async () => {
    const before = policy.current.version;
    const text = await readFile(policyFile, 'utf8');
    await writeFile(
      policyFile,
      text.replace('defaultDepartment: customer-service', 'defaultDepartment: front-desk'),
    );
    expect(await policy.reload()).toBe(true);
    expect(policy.current.spec.defaultDepartment).toBe('front-desk');
    expect(policy.current.version).not.toBe(before);
    await writeFile(policyFile, 'defaultDepartment: [broken');
    expect(await policy.reload()).toBe(false);
    expect(policy.current.spec.defaultDepartment).toBe('front-desk');
    expect(await metrics.registry.getSingleMetricAsString('inquiry_policy_reloads_total')).toMatch(
      /result="failure"} 1/,
    );
    await writeFile(policyFile, text);
    await policy.reload();
  });

  it('swaps the model under load without failing a request', async () => {
    const from = models.runtime!.version;
    const requests = Array.from({ length: 300 }, (_, i) =>
      post('/api/v1/inquiries/classify', `request ${i}: my invoice is wrong`),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    await models.load(bundleB);
    const responses = await Promise.all(requests);
    expect(responses.map((r) => r.status).every((s) => s === 200)).toBe(true);
    const versions = new Set(
      await Promise.all(responses.map(async (r) => (await json(r)).model_version as string)),
    );
    const to = models.runtime!.version;
    expect(to).not.toBe(from);
    for (const version of versions) expect([from, to]).toContain(version);
    expect(
      (await json(await post('/api/v1/inquiries/classify', 'after the swap'))).model_version,
    ).toBe(to);
  });

  it('reloads the model on an admin call, and keeps serving the old one when the new one is broken', async () => {
    const serving = models.runtime!.version;
    const good = await serve({
      ...harness.deps,
      reloadModel: async () => (await models.load(bundleA), models.runtime!.version),
    });
    const broken = await serve({
      ...harness.deps,
      reloadModel: async () => (
        await models.load(path.join(dir, 'missing')),
        models.runtime!.version
      ),
    });
    try {
      const response = await fetch(`${good.url}/admin/model/reload`, { method: 'POST' });
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({ previous: serving });
      const current = models.runtime!.version;
      const refused = await fetch(`${broken.url}/admin/model/reload`, { method: 'POST' });
      expect(refused.status).toBe(422);
      expect(((await json(refused)).error as { message: string }).message).toMatch(
        /the current one stays/,
      );
      expect(models.runtime!.version).toBe(current);
      expect((await fetch(`${harness.url}/admin/model/reload`, { method: 'POST' })).status).toBe(
        404,
      );
    } finally {
      await good.close();
      await broken.close();
    }
  });

  it('answers 503 with Retry-After while its database is down, keeps classifying, and recovers by itself', async () => {
    const run = await Run.create();
    const ownUrl = await startPostgres(run);
    const own = createPool(ownUrl, { statementTimeoutMs: 5000 });
    const harness2 = await serve({ ...harness.deps, pool: own });
    try {
      await migrate(own);
      const port = Number(new URL(ownUrl).port);
      expect((await post2(harness2, inquiry, 'a')).status).toBe(201);
      const state = JSON.parse(await readFile(path.join(run.dir, 'state.json'), 'utf8')) as {
        daemons: { name: string; pid: number; log: string }[];
      };
      const daemon = state.daemons.find((d) => d.name === 'postgres')!;
      await stopDaemon(daemon);

      const down = await post2(harness2, { ...inquiry, body: 'while down' }, 'b');
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBeTruthy();
      expect(((await json(down)).error as { message: string }).message).toMatch(
        /nothing was stored/,
      );
      expect(
        (
          await fetch(`${harness2.url}/api/v1/inquiries/classify`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '"still classifying"',
          })
        ).status,
      ).toBe(200);
      expect((await fetch(`${harness2.url}/readyz`)).status).toBe(503);

      await startPostgresServer(run, path.join(run.dir, 'postgres'), port);
      const again = await post2(harness2, { ...inquiry, body: 'while down' }, 'b');
      expect(again.status).toBe(201);
      const { rows } = await own.query<{ n: string }>(
        "SELECT count(*) AS n FROM inquiries WHERE body = 'while down'",
      );
      expect(rows[0]!.n).toBe('1');
    } finally {
      await harness2.close();
      await own.end();
      await run.remove();
    }
  });

  it("with authentication on, keeps each principal's idempotency keys its own", async () => {
    const secret = 'idempotency-scope-secret-of-enough-length';
    const authed = await serve({ ...harness.deps, auth: { hs256Secret: secret } });
    const token = (sub: string) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
    const submit = async (sub: string, body: unknown, key: string) => {
      const response = await fetch(`${authed.url}/api/v1/inquiries/submit`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          authorization: `Bearer ${await token(sub)}`,
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, text: await response.text() };
    };
    const key = `shared-${Date.now()}`;
    const alices = { ...inquiry, body: `Alice's invoice ${key} was charged twice` };
    const bobs = { ...inquiry, body: `Bob's app ${key} crashes at login` };
    try {
      const alice = await submit('alice', alices, key);
      expect(alice.status).toBe(201);
      // Bob's key is his own: his inquiry is stored, not refused as "used with a different request".
      const bob = await submit('bob', bobs, key);
      expect(bob.status).toBe(201);
      expect((JSON.parse(bob.text) as { id: string }).id).not.toBe(
        (JSON.parse(alice.text) as { id: string }).id,
      );
      // Alice's retry replays her answer byte for byte; Bob's retry replays his.
      expect(await submit('alice', alices, key)).toEqual(alice);
      expect(await submit('bob', bobs, key)).toEqual(bob);
      // Mallory sends Alice's request with Alice's key: no replay of her answer, and no duplicate
      // answer naming Alice's inquiry either: Mallory's content is her own.
      const mallory = await submit('mallory', alices, key);
      expect(mallory.status).toBe(201);
      expect((JSON.parse(mallory.text) as { id: string }).id).not.toBe(
        (JSON.parse(alice.text) as { id: string }).id,
      );
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM inquiries WHERE body = ANY($1)',
        [[alices.body, bobs.body]],
      );
      expect(rows[0]!.n).toBe('3');
    } finally {
      await authed.close();
    }
  });

  it('answers 503 in bounded time while its database is paused (SIGSTOP), and stores a retry once after SIGCONT', async () => {
    const run = await Run.create();
    const ownUrl = await startPostgres(run);
    // The client gives up on a statement the server never answers 2 s after this.
    const own = createPool(ownUrl, { statementTimeoutMs: 1000 });
    const harness2 = await serve({ ...harness.deps, pool: own });
    const dataDir = path.join(run.dir, 'postgres');
    let paused = false;
    try {
      await migrate(own);
      expect((await post2(harness2, inquiry, 'p0')).status).toBe(201);
      // Every PostgreSQL process stops: connections stay open, nothing answers.
      await signalPostgres(dataDir, 'SIGSTOP');
      paused = true;

      const [first, ready, metricsScrape] = await Promise.all([
        post2(harness2, { ...inquiry, body: 'while paused' }, 'p1'),
        fetch(`${harness2.url}/readyz`),
        fetch(`${harness2.url}/metrics`),
      ]);
      expect(first.status).toBe(503);
      expect(first.headers.get('retry-after')).toBeTruthy();
      expect(((await json(first)).error as { message: string }).message).toMatch(
        /not reachable; nothing was stored/,
      );
      expect([ready.status, (await json(ready)).database]).toEqual([503, 'down']);
      expect(metricsScrape.status).toBe(200);
      const later = await post2(harness2, { ...inquiry, body: 'while paused, later' }, 'p2');
      expect(later.status).toBe(503);

      await signalPostgres(dataDir, 'SIGCONT');
      paused = false;
      for (const [body, key] of [
        ['while paused', 'p1'],
        ['while paused, later', 'p2'],
      ] as const) {
        const again = await post2(harness2, { ...inquiry, body }, key);
        expect(again.status).toBe(201);
        const { rows } = await own.query<{ n: string }>(
          'SELECT count(*) AS n FROM inquiries WHERE body = $1',
          [body],
        );
        expect(rows[0]!.n).toBe('1');
      }
      expect((await fetch(`${harness2.url}/readyz`)).status).toBe(200);
    } finally {
      if (paused) await signalPostgres(dataDir, 'SIGCONT');
      await harness2.close();
      await own.end();
      await run.remove();
    }
  });
});

function post2(h: Harness, body: unknown, key: string): Promise<Response> {
  return fetch(`${h.url}/api/v1/inquiries/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
}
