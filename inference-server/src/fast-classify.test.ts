import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type Koa from 'koa';
import { createLogger } from '../../lib/logger.js';
import { inquiryText } from '../../lib/model/runtime.js';
import { resolvePolicy } from '../../lib/routing/policy.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { createApp } from './app.js';
import type { AppDeps } from './app-deps.js';
import { fastClassify } from './fast-classify.js';
import { createMetrics, httpRecorder, type Metrics } from './metrics.js';
import { Classifier } from './model/classifier.js';
import { ModelHolder } from './model/holder.js';

const BODY_LIMIT = 64 * 1024;
const ROUTE = '/api/v1/inquiries/classify';

interface Sent {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
}

interface Answer {
  status: number;
  statusMessage: string;
  headers: Record<string, string | undefined>;
  body: unknown;
}

const json = (text: string): Sent => ({ body: text });
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Requests of every kind the route can be sent: plain, malformed, and for Koa alone. */
const REQUESTS: [string, Sent][] = [
  ['a bare string', json(JSON.stringify('My invoice was charged twice, please refund it asap.'))],
  ['subject and body', json(JSON.stringify({ subject: 'Refund', body: 'Charged twice!' }))],
  [
    'all scores',
    {
      url: `${ROUTE}?include_all_scores=true`,
      body: JSON.stringify({ body: 'The export fails with error 503' }),
    },
  ],
  ['an empty body', json('')],
  ['a byte order mark', { body: Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), utf8('"Hello"')]) }],
  [
    'invalid UTF-8',
    { body: Buffer.concat([utf8('"caf'), Buffer.of(0xc3, 0x28, 0xff), utf8('"')]) },
  ],
  ['not JSON', json('not json')],
  ['cut JSON', json('{"body": "x"')],
  ['a trailing comma', json('{"body": "x",}')],
  ['a __proto__ key', json('{"__proto__": {"admin": true}, "body": "hi"}')],
  ['an escaped __proto__ key', json('{"\\u005f_proto__": {}, "body": "hi"}')],
  ['a number body field', json('{"body": 5}')],
  ['a number subject', json('{"subject": 3, "body": "x"}')],
  ['an unknown field', json('{"body": "x", "sender": "ann@example.com", "lang": "en"}')],
  ['no body field', json('{}')],
  ['an array', json('[]')],
  ['null', json('null')],
  ['a number', json('42')],
  ['true', json('true')],
  ['a NUL', json(JSON.stringify('call me\u0000now'))],
  ['a lone surrogate', json('"x\\ud800y"')],
  ['blank text', json('"\\u200b \\u200d"')],
  ['an empty string', json('""')],
  ['too long a text', json(JSON.stringify('a'.repeat(20_501)))],
  ['deep nesting', json(`${'['.repeat(20_000)}${']'.repeat(20_000)}`)],
  ['emoji and CJK', json(JSON.stringify({ subject: '請求書 🧾', body: 'Doppelt belastet 😡' }))],
  // Koa's alone: the plain handler passes these on.
  ['over the body limit', json(JSON.stringify('a'.repeat(BODY_LIMIT)))],
  ['chunked', { body: JSON.stringify('Charged twice'), chunked: true }],
  [
    'gzip',
    { body: gzipSync(JSON.stringify('Charged twice')), headers: { 'content-encoding': 'gzip' } },
  ],
  ['corrupt gzip', { body: 'not gzip', headers: { 'content-encoding': 'gzip' } }],
  [
    'upper-case charset',
    { body: '"Hi there"', headers: { 'content-type': 'application/json; charset=UTF-8' } },
  ],
  ['text/plain', { body: '"Hi there"', headers: { 'content-type': 'text/plain' } }],
  ['no content type', { body: '"Hi there"', headers: { 'content-type': '' } }],
  [
    'a JSON suffix type',
    { body: '"Hi there"', headers: { 'content-type': 'application/vnd.api+json' } },
  ],
  ['a trailing slash', { url: `${ROUTE}/`, body: '"Hi there"' }],
  ['another query', { url: `${ROUTE}?include_all_scores=false&x=1`, body: '"Hi there"' }],
  ['upper-case path', { url: ROUTE.toUpperCase(), body: '"Hi there"' }],
  ['GET', { method: 'GET' }],
  ['PUT', { method: 'PUT', body: '"Hi there"' }],
];

/** Sends one request as it is written (headers and bytes), and reads the answer. */
function send(base: string, sent: Sent): Promise<Answer> {
  const body = sent.body === undefined ? undefined : Buffer.from(sent.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(body && !sent.chunked ? { 'content-length': String(body.length) } : {}),
    ...(sent.chunked ? { 'transfer-encoding': 'chunked' } : {}),
    ...sent.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}${sent.url ?? ROUTE}`,
      { method: sent.method ?? 'POST', headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const parsed = JSON.parse(text) as Record<string, unknown>;
          // A timing: left out, and its digits out of the length.
          const timing = parsed.processing_time_ms;
          delete parsed.processing_time_ms;
          const length = Number(response.headers['content-length']);
          resolve({
            status: response.statusCode!,
            statusMessage: response.statusMessage!,
            headers: {
              'content-type': response.headers['content-type'],
              'content-length': String(
                timing === undefined ? length : length - JSON.stringify(timing).length,
              ),
              'retry-after': response.headers['retry-after'],
              connection: response.headers.connection,
              allow: response.headers.allow,
            },
            body: parsed,
          });
        });
      },
    );
    request.on('error', reject);
    if (body && sent.chunked) {
      request.write(body.subarray(0, 3));
      request.write(body.subarray(3));
    }
    request.end(body && !sent.chunked ? body : undefined);
  });
}

function serverOf(app: Koa): Server {
  const handle = app.callback();
  return createServer((request, response) => void handle(request, response));
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** The series of a registry that count requests and predictions (durations vary). */
async function counts(metrics: Metrics): Promise<string[]> {
  return (await metrics.registry.metrics())
    .split('\n')
    .filter((line) =>
      /^inquiry_(http_requests_total|http_request_duration_seconds_count|inferences_total|predictions_total|prediction_confidence_bucket|inference_duration_seconds_count)\{/.test(
        line,
      ),
    );
}

describe('the classify route in front of Koa', () => {
  let dir: string;
  let models: ModelHolder;
  const servers: Server[] = [];

  const deps = (holder: ModelHolder, metrics = createMetrics()): AppDeps => ({
    models: holder,
    policy: { current: resolvePolicy({ defaultDepartment: 'desk' }) },
    pool: undefined,
    metrics,
    logger: createLogger('test', 'silent'),
    clock: () => new Date(),
    limits: { bodyBytes: BODY_LIMIT, maxBatch: 8 },
    modelName: 'm',
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fast-classify-'));
    const data = generateInquiries({ n: 300, seed: 3 }).map((g) => ({
      text: inquiryText(g),
      labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
    }));
    await writeBundle(
      dir,
      trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, seed: 3, dim: 8, buckets: 1024, maxEpochs: 2 }),
    );
    models = new ModelHolder({ maxBatch: 8, maxWaitMs: 1 });
    await models.load(dir);
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await models?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every request as Koa does: status, headers, body, and the metrics it counts', async () => {
    const fastDeps = deps(models);
    const koaDeps = deps(models);
    const fast = serverOf(createApp(fastDeps));
    const koa = serverOf(createApp(koaDeps, { fastClassify: false }));
    servers.push(fast, koa);
    const [fastUrl, koaUrl] = [await listen(fast), await listen(koa)];
    for (const [name, sent] of REQUESTS) {
      const [viaFast, viaKoa] = [await send(fastUrl, sent), await send(koaUrl, sent)];
      expect({ name, ...viaFast }).toEqual({ name, ...viaKoa });
    }
    expect(await counts(fastDeps.metrics)).toEqual(await counts(koaDeps.metrics));
    expect((await counts(fastDeps.metrics)).join('\n')).toMatch(
      /inquiry_http_requests_total\{route="\/api\/v1\/inquiries\/classify",method="POST",status="422"\} \d/,
    );
  });

  it('takes the plain requests and passes every other one on untouched', async () => {
    const metrics = createMetrics();
    const front = fastClassify({
      classifier: new Classifier(models, metrics),
      logger: createLogger('test', 'silent'),
      bodyBytes: BODY_LIMIT,
      recordHttp: httpRecorder(metrics),
    });
    const passed: string[] = [];
    const server = createServer((request, response) => {
      if (front(request, response)) return;
      // What Koa would be given: the request with its body unread.
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        passed.push(Buffer.concat(chunks).toString('latin1'));
        response.writeHead(299, { 'content-type': 'application/json' }).end('{}');
      });
    });
    servers.push(server);
    const url = await listen(server);
    const koaOnly = REQUESTS.findIndex(([name]) => name === 'over the body limit');
    for (const [i, [name, sent]] of REQUESTS.entries()) {
      const answer = await send(url, sent);
      expect({ name, passedOn: answer.status === 299 }).toEqual({ name, passedOn: i >= koaOnly });
    }
    expect(passed).toContain(
      Buffer.from(gzipSync(JSON.stringify('Charged twice'))).toString('latin1'),
    );
  });

  it('answers 503 with Retry-After as Koa does while no model is loaded', async () => {
    const loading = new ModelHolder({ maxBatch: 8, maxWaitMs: 1 });
    const fast = serverOf(createApp(deps(loading)));
    const koa = serverOf(createApp(deps(loading), { fastClassify: false }));
    servers.push(fast, koa);
    const sent = json(JSON.stringify('Hello'));
    const [viaFast, viaKoa] = [
      await send(await listen(fast), sent),
      await send(await listen(koa), sent),
    ];
    expect(viaFast).toEqual(viaKoa);
    expect([viaFast.status, viaFast.headers['retry-after']]).toEqual([503, '5']);
  });

  it('leaves the route to Koa when tokens or rate limits are checked', async () => {
    const limited = serverOf(createApp({ ...deps(models), rateLimit: { perSecond: 1, burst: 1 } }));
    servers.push(limited);
    const url = await listen(limited);
    const sent = json(JSON.stringify('Hello'));
    expect((await send(url, sent)).status).toBe(200);
    const refused = await send(url, sent);
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '1']);
    const guarded = serverOf(createApp({ ...deps(models), auth: { hs256Secret: 'a-secret' } }));
    servers.push(guarded);
    expect((await send(await listen(guarded), sent)).status).toBe(401);
  });
});
