/**
 * Optional bearer-token authentication (JWT signed with an HS256 secret, or verified against a
 * JWKS URL), the admin and staff gates, and per-client rate limiting. Off unless configured (`AUTH_*`,
 * `RATE_LIMIT_PER_SECOND`; the operator's inference Deployments set neither and leave the
 * authorization of callers to the mesh). Health, readiness and metrics stay open for probes and
 * Prometheus.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Context, Next } from 'koa';
import { HttpError } from './errors.js';
import { principalHash } from './principal.js';
import { TokenBuckets } from './token-buckets.js';

export interface AuthOptions {
  hs256Secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Longest accepted token lifetime from now to `exp`, in seconds (default 24 h). */
  maxLifetimeSeconds?: number;
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds (default 30). */
  clockSkewSeconds?: number;
  /** Failed authentications per second (and burst) allowed per address (default 1, burst 10). */
  failures?: { perSecond: number; burst: number };
}

/** The scope (in `scope` or `scp`) or role (in `roles`) that admin routes require. */
export const ADMIN_SCOPE = 'inquiry:admin';
/**
 * The scope or role of the people who handle inquiries: read any inquiry, change its status,
 * give feedback. ADMIN_SCOPE implies it.
 */
export const STAFF_SCOPE = 'inquiry:staff';

const OPEN_PATHS = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/v2/health/live',
  '/v2/health/ready',
]);

/** Probe and metrics paths, with or without a trailing slash, stay open. */
function isOpenPath(path: string): boolean {
  return OPEN_PATHS.has(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
}

const challenge = { 'www-authenticate': 'Bearer realm="inquiry-platform"' };
const unauthenticated = (message: string): HttpError =>
  new HttpError(401, 'unauthenticated', message, undefined, challenge);

/** The scopes (`scope`, `scp`: a space-separated string or an array) and roles a token grants. */
function grants(payload: JWTPayload): Set<string> {
  const words = (value: unknown): string[] =>
    typeof value === 'string'
      ? value.split(/\s+/)
      : Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : [];
  return new Set([...words(payload.scope), ...words(payload.scp), ...words(payload.roles)]);
}

/** True when requests need a bearer token (a secret or a JWKS URL is configured). */
export function authRequired(options: AuthOptions): boolean {
  return Boolean(options.jwksUrl || options.hs256Secret);
}

export function authentication(options: AuthOptions) {
  const key: Uint8Array | JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl))
    : options.hs256Secret
      ? new TextEncoder().encode(options.hs256Secret)
      : undefined;
  const maxLifetime = options.maxLifetimeSeconds ?? 24 * 3600;
  const skew = options.clockSkewSeconds ?? 30;
  const failures = new TokenBuckets(options.failures ?? { perSecond: 1, burst: 10 });
  return async (ctx: Context, next: Next): Promise<void> => {
    ctx.state.authenticated = key !== undefined;
    if (!key || isOpenPath(ctx.path)) {
      await next();
      return;
    }
    const refused = failures.peek(ctx.ip, Date.now());
    if (refused)
      throw new HttpError(
        429,
        'rate_limited',
        `too many failed authentications from this address; retry in ${refused} s`,
        undefined,
        { 'retry-after': String(refused) },
      );
    const token = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1];
    let payload: JWTPayload;
    try {
      if (!token) throw unauthenticated('send a bearer token: Authorization: Bearer <JWT>');
      try {
        ({ payload } = await jwtVerify(token, key as Uint8Array, {
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
          ...(options.jwksUrl ? {} : { algorithms: ['HS256'] }),
          requiredClaims: ['exp'],
          clockTolerance: skew,
        }));
      } catch (error) {
        throw unauthenticated(
          `the bearer token was refused: ${error instanceof Error ? error.message : 'invalid token'}`,
        );
      }
      const now = Date.now() / 1000;
      if (payload.exp! - now > maxLifetime)
        throw unauthenticated(
          `the bearer token was refused: it expires more than ${maxLifetime} s from now; issue a shorter-lived token`,
        );
      if (typeof payload.iat === 'number' && payload.iat > now + skew)
        throw unauthenticated('the bearer token was refused: it is issued in the future ("iat")');
    } catch (error) {
      failures.take(ctx.ip, Date.now());
      throw error;
    }
    // Without a subject, the token itself is the client: no bucket shared by all such tokens.
    ctx.state.client =
      typeof payload.sub === 'string' ? `sub:${payload.sub}` : `token:${principalHash(token)}`;
    const granted = grants(payload);
    const admin = granted.has(ADMIN_SCOPE);
    ctx.state.admin = admin;
    ctx.state.staff = admin || granted.has(STAFF_SCOPE);
    await next();
  };
}

/**
 * Staff routes (status changes, feedback): with auth on, a token granting STAFF_SCOPE or
 * ADMIN_SCOPE; with auth off, anyone (the mesh decides who calls).
 */
export function requireStaff(ctx: Context): void {
  if (ctx.state.authenticated && !ctx.state.staff)
    throw new HttpError(
      403,
      'forbidden',
      `this route needs a token with the "${STAFF_SCOPE}" (or "${ADMIN_SCOPE}") scope or role`,
    );
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * Admin routes: with auth on, a token granting ADMIN_SCOPE; with auth off, only requests that
 * reach this process directly over loopback (not through a forwarding proxy).
 */
export function requireAdmin(ctx: Context): void {
  if (ctx.state.authenticated) {
    if (!ctx.state.admin)
      throw new HttpError(
        403,
        'forbidden',
        `this route needs a token with the "${ADMIN_SCOPE}" scope or role`,
      );
    return;
  }
  const remote = ctx.req.socket.remoteAddress ?? '';
  if (!LOOPBACK.test(remote) || ctx.get('x-forwarded-for') !== '')
    throw new HttpError(
      403,
      'forbidden',
      'with authentication off, admin routes answer only on loopback; turn auth on (AUTH_JWT_SECRET or AUTH_JWKS_URL) to call them remotely',
    );
}

/**
 * A token bucket per client (the token's subject, the token itself without one, else the
 * address): `perSecond` sustained, `burst` at once. 429 with Retry-After beyond that.
 */
export function rateLimit({ perSecond, burst }: { perSecond: number; burst: number }) {
  const buckets = new TokenBuckets({ perSecond, burst });
  return async (ctx: Context, next: Next): Promise<void> => {
    if (perSecond <= 0 || isOpenPath(ctx.path)) {
      await next();
      return;
    }
    const client = (ctx.state.client as string | undefined) ?? `ip:${ctx.ip}`;
    const wait = buckets.take(client, Date.now());
    if (wait)
      throw new HttpError(
        429,
        'rate_limited',
        `too many requests: at most ${perSecond}/s (burst ${burst}); retry in ${wait} s`,
        undefined,
        { 'retry-after': String(wait) },
      );
    await next();
  };
}
