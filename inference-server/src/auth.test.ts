import { once } from 'node:events';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createLogger } from '../../lib/logger.js';
import { createApp } from './app.js';
import type { AppDeps } from './app-deps.js';
import { createMetrics } from './metrics.js';
import { ModelHolder } from './model/holder.js';
import { resolvePolicy } from '../../lib/routing/policy.js';

function deps(overrides: Partial<AppDeps>): AppDeps {
  return {
    models: new ModelHolder({ maxBatch: 8, maxWaitMs: 1 }),
    policy: { current: resolvePolicy({ defaultDepartment: 'desk' }) },
    pool: undefined,
    metrics: createMetrics(),
    logger: createLogger('test', 'silent'),
    clock: () => new Date(),
    limits: { bodyBytes: 1024, maxBatch: 4 },
    modelName: 'm',
    ...overrides,
  };
}

async function listen(appDeps: AppDeps): Promise<{ url: string; close: () => void }> {
  const server = createApp(appDeps).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

describe('authentication', () => {
  it('with an HS256 secret: refuses missing and wrong tokens, accepts a signed one, leaves probes open', async () => {
    const secret = 'a-test-secret-of-enough-length-123456';
    const app = await listen(deps({ auth: { hs256Secret: secret } }));
    try {
      const missing = await fetch(`${app.url}/api/v1/stats`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const forged = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode('another-secret-of-enough-length-99999'));
      expect(
        (await fetch(`${app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${forged}` } }))
          .status,
      ).toBe(401);
      const token = await new SignJWT({ sub: 'team-a' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(secret));
      // Past authentication, the stats route answers 503 here: this app has no database.
      expect(
        (await fetch(`${app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(503);
      const expired = await new SignJWT({ sub: 'team-a' })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode(secret));
      const refused = await fetch(`${app.url}/api/v1/stats`, {
        headers: { authorization: `Bearer ${expired}` },
      });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
        /exp/,
      );
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${app.url}/metrics`)).status).toBe(200);
    } finally {
      app.close();
    }
  });

  it('with a JWKS URL: verifies tokens against the published keys', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] })),
    );
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
    const app = await listen(deps({ auth: { jwksUrl, audience: 'inquiries' } }));
    try {
      const token = await new SignJWT({ sub: 'svc' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setAudience('inquiries')
        .setExpirationTime('1m')
        .sign(privateKey);
      expect(
        (await fetch(`${app.url}/api/v1/stats`, { headers: { authorization: `Bearer ${token}` } }))
          .status,
      ).toBe(503);
      const wrongAudience = await new SignJWT({ sub: 'svc' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setAudience('other')
        .setExpirationTime('1m')
        .sign(privateKey);
      expect(
        (
          await fetch(`${app.url}/api/v1/stats`, {
            headers: { authorization: `Bearer ${wrongAudience}` },
          })
        ).status,
      ).toBe(401);
    } finally {
      app.close();
      jwks.close();
    }
  });
});

describe('rate limiting', () => {
  it('allows the burst, then answers 429 with Retry-After', async () => {
    const app = await listen(deps({ rateLimit: { perSecond: 1, burst: 3 } }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${app.url}/api/v1/stats`)).status);
      expect(statuses).toEqual([503, 503, 503, 429, 429]);
      const limited = await fetch(`${app.url}/api/v1/stats`);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    } finally {
      app.close();
    }
  });
});

describe('token rules, admin gate and forwarded addresses', () => {
  const secret = 'a-test-secret-of-enough-length-123456';
  const key = new TextEncoder().encode(secret);
  const sign = (claims: Record<string, unknown>, exp?: number | string): Promise<string> => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
    if (exp !== undefined) jwt.setExpirationTime(exp);
    return jwt.sign(key);
  };
  const call = (url: string, token?: string, init: RequestInit = {}): Promise<Response> =>
    fetch(url, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
    });

  it('requires exp, bounds the lifetime, refuses a future iat', async () => {
    const app = await listen(deps({ auth: { hs256Secret: secret, maxLifetimeSeconds: 3600 } }));
    try {
      const now = Math.floor(Date.now() / 1000);
      for (const [token, message] of [
        [await sign({ sub: 'a' }), /"exp" claim/],
        [await sign({ sub: 'a' }, '2h'), /expires more than 3600 s/],
        [await sign({ sub: 'a', iat: now + 600 }, '10m'), /issued in the future/],
      ] as [string, RegExp][]) {
        const response = await call(`${app.url}/api/v1/stats`, token);
        const body = (await response.json()) as { error: { message: string } };
        expect([response.status, body.error.message]).toEqual([
          401,
          expect.stringMatching(message),
        ]);
      }
      expect((await call(`${app.url}/api/v1/stats`, await sign({ sub: 'a' }, '10m'))).status).toBe(
        503,
      );
      expect((await call(`${app.url}/healthz/`)).status).toBe(200);
      expect((await call(`${app.url}/metrics/`)).status).toBe(200);
    } finally {
      app.close();
    }
  });

  it('rate-limits failed authentications per address', async () => {
    const app = await listen(
      deps({ auth: { hs256Secret: secret, failures: { perSecond: 0.01, burst: 3 } } }),
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push((await call(`${app.url}/api/v1/stats`, 'not-a-jwt')).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      app.close();
    }
  });

  it('gives admin routes only to an admin scope, or to loopback when auth is off', async () => {
    const reloadModel = (): Promise<string> => Promise.resolve('v2');
    const secured = await listen(deps({ auth: { hs256Secret: secret }, reloadModel }));
    const open = await listen(deps({ reloadModel }));
    try {
      const reload = (url: string, token?: string, headers: Record<string, string> = {}) =>
        call(`${url}/admin/model/reload`, token, { method: 'POST', headers });
      expect((await reload(secured.url, await sign({ sub: 'a' }, '5m'))).status).toBe(403);
      expect(
        (await reload(secured.url, await sign({ sub: 'a', scope: 'read inquiry:admin' }, '5m')))
          .status,
      ).toBe(200);
      expect(
        (await reload(secured.url, await sign({ roles: ['inquiry:admin'] }, '5m'))).status,
      ).toBe(200);
      expect((await reload(open.url)).status).toBe(200);
      expect((await reload(open.url, undefined, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(
        403,
      );
    } finally {
      secured.close();
      open.close();
    }
  });

  it('gives status changes and feedback only to a staff or admin scope, and to anyone when auth is off', async () => {
    const secured = await listen(deps({ auth: { hs256Secret: secret } }));
    const open = await listen(deps({}));
    const id = '7d0f0c9e-0000-4000-8000-000000000000';
    try {
      const send = async (url: string, token: string | undefined) =>
        Promise.all(
          [
            ['PATCH', `/api/v1/inquiries/${id}`, { status: 'in_progress' }],
            ['POST', `/api/v1/inquiries/${id}/feedback`, { department: 'desk' }],
          ].map(async ([method, route, body]) => {
            const response = await call(`${url}${route as string}`, token, {
              method: method as string,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            const answer = (await response.json()) as { error: { code: string; message: string } };
            return [response.status, answer.error.code, answer.error.message];
          }),
        );
      const forbidden = [
        403,
        'forbidden',
        'this route needs a token with the "inquiry:staff" (or "inquiry:admin") scope or role',
      ];
      expect(await send(secured.url, await sign({ sub: 'a', scope: 'read' }, '5m'))).toEqual([
        forbidden,
        forbidden,
      ]);
      // Past the gate, this app has no database: 503.
      for (const token of [
        await sign({ sub: 'a', scope: 'read inquiry:staff' }, '5m'),
        await sign({ sub: 'a', scp: ['inquiry:staff'] }, '5m'),
        await sign({ sub: 'a', roles: ['inquiry:staff'] }, '5m'),
        await sign({ sub: 'a', scope: 'inquiry:admin' }, '5m'),
      ])
        expect((await send(secured.url, token)).map(([status]) => status)).toEqual([503, 503]);
      expect((await send(open.url, undefined)).map(([status]) => status)).toEqual([503, 503]);
    } finally {
      secured.close();
      open.close();
    }
  });

  it('ignores X-Forwarded-For unless proxies are trusted', async () => {
    const spoofed = (url: string, i: number) =>
      fetch(`${url}/api/v1/stats`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    const direct = await listen(deps({ rateLimit: { perSecond: 0.01, burst: 2 } }));
    const proxied = await listen(
      deps({ rateLimit: { perSecond: 0.01, burst: 2 }, trustedProxyHops: 1 }),
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await spoofed(direct.url, i)).status);
      expect(statuses).toEqual([503, 503, 429, 429]);
      const viaProxy: number[] = [];
      for (let i = 0; i < 4; i++) viaProxy.push((await spoofed(proxied.url, i)).status);
      expect(viaProxy).toEqual([503, 503, 503, 503]);
    } finally {
      direct.close();
      proxied.close();
    }
  });

  it('gives tokens without a subject a bucket each', async () => {
    const app = await listen(
      deps({ auth: { hs256Secret: secret }, rateLimit: { perSecond: 0.01, burst: 1 } }),
    );
    try {
      const a = await sign({ team: 'a' }, '5m');
      const b = await sign({ team: 'b' }, '5m');
      expect((await call(`${app.url}/api/v1/stats`, a)).status).toBe(503);
      expect((await call(`${app.url}/api/v1/stats`, a)).status).toBe(429);
      expect((await call(`${app.url}/api/v1/stats`, b)).status).toBe(503);
    } finally {
      app.close();
    }
  });
});

describe('HTTP metrics of refused requests', () => {
  it('label 401 and 429 with the route asked for, and an unknown path as unmatched', async () => {
    const metrics = createMetrics();
    const authenticated = await listen(
      deps({ metrics, auth: { hs256Secret: 'a-test-secret-of-enough-length-123456' } }),
    );
    const limited = await listen(deps({ metrics, rateLimit: { perSecond: 1, burst: 1 } }));
    try {
      const url = authenticated.url;
      await fetch(`${url}/api/v1/inquiries/7d0f0c9e-0000-4000-8000-000000000000`);
      await fetch(`${url}/api/v1/inquiries/submit`, { method: 'POST', body: '{}' });
      await fetch(`${url}/no/such/path`);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(`${limited.url}/api/v1/stats`)).status);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
      const exposition = await metrics.registry.getSingleMetricAsString(
        'inquiry_http_requests_total',
      );
      expect(exposition).toContain(
        'inquiry_http_requests_total{route="/api/v1/inquiries/:id",method="GET",status="401"} 1',
      );
      expect(exposition).toContain(
        'inquiry_http_requests_total{route="/api/v1/inquiries/submit",method="POST",status="401"} 1',
      );
      expect(exposition).toContain(
        `inquiry_http_requests_total{route="/api/v1/stats",method="GET",status="429"} ${statuses.filter((status) => status === 429).length}`,
      );
      expect(exposition).toContain(
        'inquiry_http_requests_total{route="unmatched",method="GET",status="401"} 1',
      );
    } finally {
      authenticated.close();
      limited.close();
    }
  });
});
