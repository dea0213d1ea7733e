/**
 * Crafted input against the HTTP app with real parts (a trained bundle, PostgreSQL): NUL
 * characters, lone surrogates, deep nesting, odd dates, corrupt bodies, odd methods. Every answer
 * is below 500 and, when refused, the JSON error shape with a message.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { request as httpRequest, type Server } from 'node:http';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type pg from 'pg';
import type Koa from 'koa';
import { createApp } from '../../inference-server/src/app.js';
import { createHttpServer } from '../../inference-server/src/http-server.js';
import { createMetrics } from '../../inference-server/src/metrics.js';
import { ModelHolder } from '../../inference-server/src/model/holder.js';
import { PolicyHolder } from '../../inference-server/src/policy-holder.js';
import { createLogger } from '../../lib/logger.js';
import { inquiryText } from '../../lib/model/runtime.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { startPostgres } from '../../scripts/testbed/postgres.js';
import { Run } from '../../scripts/testbed/runs.js';

const logger = createLogger('test', 'silent');
const BODY_LIMIT = 64 * 1024;

/** Strings of the kinds PostgreSQL or a reader chokes on, mixed with ordinary text. */
const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\u200b\u200d', '\ufffd', ''),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('\u0000', '\ud83d', '\ude00', 'a', ' ') }),
);

/** JSON text of an object nested `depth` levels around `inner` (built as text: too deep to stringify). */
function nestedJson(depth: number, inner = '{}'): string {
  return '{"n":'.repeat(depth) + inner + '}'.repeat(depth);
}

/** Metadata as JSON text: nested up to 6,000 levels, with a hostile key and value at the bottom. */
const deepMetadata = fc
  .tuple(fc.integer({ min: 1, max: 6000 }), hostileString, hostileString)
  .map(([depth, key, value]) => nestedJson(depth, JSON.stringify({ [key]: value })));

const oddTime = fc.oneof(
  fc.constantFrom(
    '2016-12-31T23:59:60Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2026-02-30T10:00:00Z',
    '2026-01-01T24:00:00Z',
    '-271821-04-20T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '2026-01-01',
    'now',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const hostileInquiry = fc.record(
  {
    subject: hostileString,
    body: fc.oneof(hostileString, fc.constant('My invoice was charged twice')),
    sender_email: fc.oneof(fc.constant('ann@example.com'), hostileString),
    sender_name: hostileString,
    external_id: hostileString,
    received_at: oddTime,
    metadata: fc.oneof(
      deepMetadata,
      fc
        .dictionary(hostileString, fc.oneof(hostileString, fc.jsonValue()))
        .map((value) => JSON.stringify(value)),
    ),
  },
  { requiredKeys: ['body', 'sender_email'] },
);

/** The request body's JSON text, with the metadata's text spliced in as it is. */
function inquiryJson({ metadata, ...rest }: { metadata?: string } & Record<string, unknown>) {
  const text = JSON.stringify(rest);
  return metadata === undefined ? text : `${text.slice(0, -1)},"metadata":${metadata}}`;
}

describe('inference server under crafted input', () => {
  let dir: string;
  let run: Run;
  let pool: pg.Pool;
  let models: ModelHolder;
  let policy: PolicyHolder;
  let app: Koa;
  let server: Server;
  let url: string;
  let inquiryId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostile-input-'));
    const data = generateInquiries({ n: 600, seed: 5 }).map((g) => ({
      text: inquiryText(g),
      labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
    }));
    const bundle = path.join(dir, 'bundle');
    await writeBundle(
      bundle,
      trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, seed: 5, dim: 16, buckets: 4096 }),
    );
    run = await Run.create();
    pool = createPool(await startPostgres(run));
    await migrate(pool);
    models = new ModelHolder({ maxBatch: 32, maxWaitMs: 2 });
    await models.load(bundle);
    const metrics = createMetrics();
    policy = await PolicyHolder.load(
      new URL('../../config/routing_rules.yaml', import.meta.url).pathname,
      logger,
      () => {},
    );
    app = createApp({
      models,
      policy,
      pool,
      metrics,
      logger,
      clock: () => new Date(),
      limits: { bodyBytes: BODY_LIMIT, maxBatch: 50 },
      modelName: 'inquiry-classifier',
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const created = await post('/api/v1/inquiries/submit', {
      body: 'Please check invoice 77, it was charged twice',
      sender_email: 'probe@example.com',
    });
    expect(created.status).toBe(201);
    inquiryId = ((await created.json()) as { id: string }).id;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await models?.close();
    await pool?.end();
    await run?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  function post(route: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
  }

  /** Below 500, and a refusal carries the JSON error shape with a message for a person. */
  async function expectClientAnswer(response: Response): Promise<void> {
    const text = await response.text();
    expect({ status: response.status, text }).toEqual({
      status: expect.any(Number) as number,
      text: expect.any(String) as string,
    });
    if (response.status >= 500) throw new Error(`${response.status}: ${text}`);
    if (response.status >= 400) {
      const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
      expect(error.message.length).toBeGreaterThan(10);
    }
  }

  it('never answers a crafted inquiry with a 5xx, and stores only clean ones', async () => {
    await fc.assert(
      fc.asyncProperty(hostileInquiry, async (inquiry) => {
        await expectClientAnswer(await post('/api/v1/inquiries/submit', inquiryJson(inquiry)));
      }),
      { numRuns: 300 },
    );
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM inquiries WHERE metadata::text LIKE '%\\\\u0000%'",
    );
    expect(rows[0]!.n).toBe('0');
  });

  it('refuses each crafted class with a 4xx that names the problem', async () => {
    const valid = { body: 'My invoice was charged twice', sender_email: 'ann@example.com' };
    const cases: [unknown, RegExp][] = [
      [{ ...valid, metadata: { note: 'call +1\u0000555' } }, /metadata\.note contains a NUL/],
      [{ ...valid, metadata: { note: 'x\ud800' } }, /metadata\.note is not valid Unicode/],
      [{ ...valid, metadata: { 'k\u0000': 'v' } }, /metadata key contains a NUL/],
      [inquiryJson({ ...valid, metadata: nestedJson(5000) }), /nested at most 32 levels/],
      [{ ...valid, received_at: '2016-12-31T23:59:60Z' }, /no leap second/],
      [{ ...valid, body: '\u200b\u200b\u200b' }, /must not be blank/],
    ];
    for (const [body, message] of cases) {
      const response = await post('/api/v1/inquiries/submit', body);
      const answer = (await response.json()) as { error: { message: string } };
      expect([response.status, answer.error.message]).toEqual([
        422,
        expect.stringMatching(message),
      ]);
    }
  });

  it('never answers crafted feedback with a 5xx, and bounds its heads', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(hostileString, fc.oneof(hostileString, fc.jsonValue()), { maxKeys: 30 }),
        async (feedback) => {
          await expectClientAnswer(await post(`/api/v1/inquiries/${inquiryId}/feedback`, feedback));
        },
      ),
      { numRuns: 200 },
    );
    for (const [body, message] of [
      [{ category: 'bil\u0000ling' }, /category contains a NUL/],
      [{ category: 'billing', reviewer: 'a\u0000' }, /reviewer contains a NUL/],
      [{ 'cat\u0000egory': 'billing' }, /not a head name/],
      [{ category: '\ud800' }, /not valid Unicode/],
      [Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`h${i}`, 'x'])), /at most 16/],
    ] as [unknown, RegExp][]) {
      const response = await post(`/api/v1/inquiries/${inquiryId}/feedback`, body);
      const answer = (await response.json()) as { error: { message: string } };
      expect([response.status, answer.error.message]).toEqual([
        422,
        expect.stringMatching(message),
      ]);
    }
  });

  it('refuses a status change whose resolved_by PostgreSQL cannot store, with a 422', async () => {
    for (const [resolvedBy, message] of [
      ['a\u0000b', /resolved_by contains a NUL/],
      ['x\ud800', /resolved_by is not valid Unicode/],
    ] as [string, RegExp][]) {
      const response = await fetch(`${url}/api/v1/inquiries/${inquiryId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'resolved', resolved_by: resolvedBy }),
      });
      const answer = (await response.json()) as { error: { message: string } };
      expect([response.status, answer.error.message]).toEqual([
        422,
        expect.stringMatching(message),
      ]);
    }
  });

  it('answers any method but POST on an action with 405 and Allow: POST, and quotes a long bad id shortened', async () => {
    for (const [method, route] of [
      ['GET', '/api/v1/inquiries/submit'],
      ['HEAD', '/api/v1/inquiries/classify'],
      ['PATCH', '/api/v1/inquiries/Submit'],
      ['PUT', '/api/v1/inquiries/submit'],
      ['DELETE', '/api/v1/inquiries/classify'],
    ]) {
      const response = await fetch(`${url}${route}`, { method });
      expect([response.status, response.headers.get('allow')]).toEqual([405, 'POST']);
      if (method !== 'HEAD')
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
          /is not supported on .*; use POST/,
        );
    }
    const options = await fetch(`${url}/api/v1/inquiries/submit`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'POST']);
    const response = await fetch(`${url}/api/v1/inquiries/${'a'.repeat(10_000)}`);
    const text = await response.text();
    expect([response.status, text.length < 300]).toEqual([400, true]);
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(
      /^"a{64}…" is not an inquiry id/,
    );
  });

  it("refuses feedback with a label the serving model's head does not have, and stores none of it", async () => {
    const feedback = (body: unknown) => post(`/api/v1/inquiries/${inquiryId}/feedback`, body);
    const before = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM feedback WHERE inquiry_id = $1',
      [inquiryId],
    );
    const typo = await feedback({ category: 'biling', sentiment: 'negative' });
    const answer = (await typo.json()) as { error: { message: string } };
    expect([typo.status, answer.error.message]).toEqual([
      422,
      expect.stringMatching(/category must be one of .*billing/),
    ]);
    const after = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM feedback WHERE inquiry_id = $1',
      [inquiryId],
    );
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    // A head the model does not have (the department, a future head) takes any label.
    const other = await feedback({ category: ' billing ', department: 'finance-emea' });
    expect([other.status, await other.json()]).toEqual([
      201,
      expect.objectContaining({ stored: { category: 'billing', department: 'finance-emea' } }),
    ]);
  });

  it('refuses stats windows outside what can be stored, and non-ISO dates', async () => {
    await fc.assert(
      fc.asyncProperty(oddTime, oddTime, async (from, to) => {
        const query = new URLSearchParams({ from, to });
        await expectClientAnswer(await fetch(`${url}/api/v1/stats?${query.toString()}`));
      }),
      { numRuns: 100 },
    );
    for (const from of ['-004714-01-01T00:00:00Z', '-271821-04-20T00:00:00Z', 'Tue, 1 Dec 2026']) {
      const response = await fetch(`${url}/api/v1/stats?from=${encodeURIComponent(from)}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /ISO 8601/,
      );
    }
  });

  it('answers a corrupt gzip body with a 400 in the JSON error shape', async () => {
    const gzip = gzipSync(JSON.stringify({ body: 'hello there', sender_email: 'a@example.com' }));
    gzip[gzip.length - 6] = gzip[gzip.length - 6]! ^ 0xff;
    for (const body of [gzip, gzip.subarray(0, 12), new TextEncoder().encode('not gzip at all')]) {
      const response = await post('/api/v1/inquiries/submit', body, { 'content-encoding': 'gzip' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /could not be read|not valid JSON/,
      );
    }
  });

  it('refuses a body labelled with a charset other than UTF-8 with a 415, and reads UTF-8 labels', async () => {
    const latin1 = Buffer.from('"caf\u00e9: my invoice was charged twice"', 'latin1');
    for (const route of ['/api/v1/inquiries/classify', '/api/v1/inquiries/submit']) {
      const response = await post(route, latin1, {
        'content-type': 'application/json; charset=iso-8859-1',
      });
      expect(response.status).toBe(415);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
        /charset=iso-8859-1: send JSON as UTF-8/,
      );
    }
    for (const contentType of [
      'application/json; charset=UTF-8',
      'application/json;charset="utf-8"',
      'application/json; charset=us-ascii',
    ]) {
      const response = await post('/api/v1/inquiries/classify', '"my invoice is wrong"', {
        'content-type': contentType,
      });
      expect([contentType, response.status]).toEqual([contentType, 200]);
    }
  });

  it('refuses a body whose bytes are not UTF-8 with a 400 on every JSON route, and stores nothing', async () => {
    const sender = 'latin1-bytes@example.com';
    // The Latin-1 é (0xE9) is no UTF-8 character: decoded leniently, it would be stored as U+FFFD.
    const latin1 = (value: unknown) => Buffer.from(JSON.stringify(value), 'latin1');
    const inquiry = latin1({
      body: 'Caf\u00e9 order: my invoice was charged twice',
      sender_email: sender,
    });
    const feedbackBefore = await pool.query(
      'SELECT count(*) AS n FROM feedback WHERE inquiry_id = $1',
      [inquiryId],
    );
    const cases: [method: string, route: string, body: Buffer, headers: Record<string, string>][] =
      [
        ['POST', '/api/v1/inquiries/submit', inquiry, {}],
        [
          'POST',
          '/api/v1/inquiries/submit',
          inquiry,
          { 'content-type': 'application/json; charset=utf-8' },
        ],
        ['POST', '/api/v1/inquiries/submit', gzipSync(inquiry), { 'content-encoding': 'gzip' }],
        // The classify fast path (a plain JSON body) and Koa's route (a query it does not take).
        ['POST', '/api/v1/inquiries/classify', latin1('caf\u00e9 invoice'), {}],
        ['POST', '/api/v1/inquiries/classify?x=1', latin1('caf\u00e9 invoice'), {}],
        ['POST', '/api/v1/inquiries/classify/batch', latin1({ texts: ['caf\u00e9'] }), {}],
        [
          'POST',
          '/v2/models/inquiry-classifier/infer',
          latin1({
            inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['caf\u00e9'] }],
          }),
          {},
        ],
        ['POST', `/api/v1/inquiries/${inquiryId}/feedback`, latin1({ reviewer: 'Jos\u00e9' }), {}],
        [
          'PATCH',
          `/api/v1/inquiries/${inquiryId}`,
          latin1({ status: 'resolved', resolved_by: 'Jos\u00e9' }),
          {},
        ],
      ];
    for (const [method, route, body, headers] of cases) {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect([route, response.status, error.code, error.message]).toEqual([
        route,
        400,
        'bad_request',
        expect.stringMatching(
          /^the body is not valid UTF-8: the bytes at offset \d+ \(0xE9/,
        ) as string,
      ]);
    }
    const stored = await pool.query('SELECT count(*) AS n FROM inquiries WHERE sender_email = $1', [
      sender,
    ]);
    expect(stored.rows[0]).toEqual({ n: '0' });
    const feedbackAfter = await pool.query(
      'SELECT count(*) AS n FROM feedback WHERE inquiry_id = $1',
      [inquiryId],
    );
    expect(feedbackAfter.rows[0]).toEqual(feedbackBefore.rows[0]);
    // The same text as UTF-8 is stored as sent.
    const utf8 = await post('/api/v1/inquiries/submit', inquiry.toString('latin1'));
    expect(utf8.status).toBe(201);
    const { rows } = await pool.query<{ body: string }>(
      'SELECT body FROM inquiries WHERE sender_email = $1',
      [sender],
    );
    expect(rows).toEqual([{ body: 'Caf\u00e9 order: my invoice was charged twice' }]);
  });

  /** A raw request (fetch cannot send TRACE, nor a Content-Length without the body). */
  function raw(
    method: string,
    route: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string; contentType: string | undefined }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${url}${route}`, { method, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            body,
            contentType: response.headers['content-type'],
          }),
        );
      });
      request.on('error', reject);
      // With a declared length, the body is never sent: the answer must come without it.
      if (headers['content-length']) request.flushHeaders();
      else request.end();
    });
  }

  it('answers unknown methods with the JSON error shape', async () => {
    for (const method of ['PROPFIND', 'TRACE', 'DELETE']) {
      const answer = await raw(method, '/api/v1/inquiries/submit');
      expect([answer.status, answer.contentType]).toEqual([
        expect.any(Number),
        expect.stringMatching(/application\/json/),
      ]);
      expect([405, 501]).toContain(answer.status);
      expect((JSON.parse(answer.body) as { error: { message: string } }).error.message).toMatch(
        /is not supported/,
      );
    }
  });

  it('answers what the HTTP parser refuses in the JSON error shape, then closes', async () => {
    const callback = app.callback();
    const http = createHttpServer((request, response) => void callback(request, response), {
      requestMs: 30_000,
      headersMs: 10_000,
      keepAliveMs: 5_000,
    });
    http.server.listen(0, '127.0.0.1');
    await once(http.server, 'listening');
    const port = (http.server.address() as { port: number }).port;
    /** The whole answer to `request` written raw, up to the close (the server closes after a refusal). */
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    try {
      for (const [request, status, message] of [
        ['POTS /api/v1/inquiries/submit HTTP/1.1\r\nHost: x\r\n\r\n', 501, /not supported/],
        [
          `GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20_000)}\r\n\r\n`,
          431,
          /too large/,
        ],
        [
          'POST /api/v1/inquiries/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
          400,
          /not valid HTTP/,
        ],
      ] as [string, number, RegExp][]) {
        const answer = await exchange(request);
        const [head, body] = answer.split('\r\n\r\n');
        expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
        expect(head).toMatch(/content-type: application\/json/i);
        expect((JSON.parse(body!) as { error: { message: string } }).error.message).toMatch(
          message,
        );
      }
      // Pipelined behind a good request: that one is answered first, then the refusal.
      const good = '"my invoice is wrong"';
      const pipelined = await exchange(
        `POST /api/v1/inquiries/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${good.length}\r\n\r\n${good}` +
          'POTS / HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      expect(pipelined.match(/HTTP\/1.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 501']);
    } finally {
      http.server.close();
    }
  });

  it('refuses a hot swap to a bundle whose manifest does not match its model, and keeps serving', async () => {
    const serving = models.runtime!.version;
    const bad = path.join(dir, 'bad');
    await cp(path.join(dir, 'bundle'), bad, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(bad, 'model.json'), 'utf8')) as {
      version: string;
      heads: { name: string; labels: string[] }[];
    };
    manifest.version = 'mislabelled';
    manifest.heads[0]!.labels.pop();
    await writeFile(path.join(bad, 'model.json'), JSON.stringify(manifest));
    await expect(models.load(bad)).rejects.toThrow(/fails a probe inference: head \w+: output/);
    expect(models.runtime!.version).toBe(serving);
    const response = await post('/api/v1/inquiries/classify', '"my invoice is wrong"');
    expect(response.status).toBe(200);
    expect(((await response.json()) as { model_version: string }).model_version).toBe(serving);
  });

  it('refuses a declared body of 2^31 bytes or more before reading it', async () => {
    for (const length of ['2147483648', '9007199254740991', String(BODY_LIMIT + 1)]) {
      const answer = await raw('POST', '/api/v1/inquiries/submit', {
        'content-type': 'application/json',
        'content-length': length,
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    }
  });
});
