/**
 * Optional bearer-token authentication (JWT signed with an HS256 secret, or verified against a
 * JWKS URL) and per-client rate limiting. Off by default locally; the Helm chart turns auth on.
 * Health, readiness and metrics stay open for probes and Prometheus.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Context, Next } from 'koa';
import { HttpError } from './errors.js';

export interface AuthOptions {
  hs256Secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

const OPEN_PATHS = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/v2/health/live',
  '/v2/health/ready',
]);

export function authentication(options: AuthOptions) {
  const key: Uint8Array | JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : options.hs256Secret
      ? new TextEncoder().encode(options.hs256Secret)
      : undefined;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!key || OPEN_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const header = ctx.get('authorization');
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const challenge = { 'www-authenticate': 'Bearer realm="inquiry-platform"' };
    if (!token)
      throw new HttpError(
        401,
        'unauthenticated',
        'send a bearer token: Authorization: Bearer <JWT>',
        undefined,
        challenge,
      );
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        ...(options.issuer ? { issuer: options.issuer } : {}),
        ...(options.audience ? { audience: options.audience } : {}),
        ...(options.jwksUrl ? {} : { algorithms: ['HS256'] }),
      });
      ctx.state.client = typeof payload.sub === 'string' ? payload.sub : 'token';
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'invalid token';
      throw new HttpError(
        401,
        'unauthenticated',
        `the bearer token was refused: ${reason}`,
        undefined,
        challenge,
      );
    }
    await next();
  };
}

/**
 * A token bucket per client (the token's subject when authenticated, else the address):
 * `perSecond` sustained, `burst` at once. 429 with Retry-After beyond that.
 */
export function rateLimit({ perSecond, burst }: { perSecond: number; burst: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return async (ctx: Context, next: Next): Promise<void> => {
    if (perSecond <= 0 || OPEN_PATHS.has(ctx.path)) {
      await next();
      return;
    }
    const client = (ctx.state.client as string | undefined) ?? ctx.ip;
    const now = Date.now();
    const bucket = buckets.get(client) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      buckets.set(client, bucket);
      const wait = Math.ceil((1 - bucket.tokens) / perSecond);
      throw new HttpError(
        429,
        'rate_limited',
        `too many requests: at most ${perSecond}/s (burst ${burst}); retry in ${wait} s`,
        undefined,
        { 'retry-after': String(wait) },
      );
    }
    bucket.tokens -= 1;
    buckets.set(client, bucket);
    if (buckets.size > 100_000) buckets.clear();
    await next();
  };
}
