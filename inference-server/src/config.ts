/** The inference server's settings, from the environment, checked once at start-up. */
import { homedir } from 'node:os';
import path from 'node:path';
import type { AuthOptions } from './auth.js';
import { policyOptionsFromEnv, type PolicyOptions } from '../../lib/routing/policy.js';
import type { ServingRole } from './app-deps.js';

export interface ServerConfig {
  host: string;
  port: number;
  databaseUrl: string | undefined;
  embeddedPostgres: { dataDir: string; port: number };
  modelDir: string | undefined;
  modelName: string;
  policyFile: string;
  /** CONFIDENCE_THRESHOLD: the triage threshold of a policy that sets none. */
  policyOptions: PolicyOptions;
  cacheDir: string;
  bodyLimitBytes: number;
  maxBatch: number;
  batching: { maxBatch: number; maxWaitMs: number };
  intraOpThreads: number;
  auth: AuthOptions;
  trustedProxyHops: number;
  rateLimit: { perSecond: number; burst: number };
  /** SIGTERM: how long in-flight requests may take to finish (below the pod's grace period). */
  shutdownGraceMs: number;
  http: { requestMs: number; headersMs: number; keepAliveMs: number };
  servingRole: ServingRole;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min}, not "${raw}"`);
  return value;
}

function servingRole(env: NodeJS.ProcessEnv): ServingRole {
  const raw = env.SERVING_ROLE || 'primary';
  if (raw !== 'primary' && raw !== 'shadow')
    throw new Error(`SERVING_ROLE must be primary or shadow, not "${raw}"`);
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const cacheDir =
    env.INQUIRY_CACHE_DIR ??
    path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'inquiry-platform');
  // PostgreSQL runs as its own user when we are root, and cannot enter root's home.
  const pgDefault =
    process.getuid?.() === 0
      ? '/var/tmp/inquiry-platform/postgres'
      : path.join(cacheDir, 'postgres');
  return {
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPostgres: {
      dataDir: env.EMBEDDED_PG_DIR ?? pgDefault,
      port: integer(env, 'EMBEDDED_PG_PORT', 54329, 1),
    },
    modelDir: env.MODEL_DIR || undefined,
    modelName: env.MODEL_NAME ?? 'inquiry-classifier',
    policyFile: env.ROUTING_POLICY_FILE ?? 'config/routing_rules.yaml',
    policyOptions: policyOptionsFromEnv(env),
    cacheDir,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024),
    maxBatch: integer(env, 'MAX_BATCH_TEXTS', 256, 1),
    batching: {
      maxBatch: integer(env, 'MICROBATCH_MAX', 64, 1),
      maxWaitMs: integer(env, 'MICROBATCH_WAIT_MS', 2, 0),
    },
    intraOpThreads: integer(env, 'ORT_INTRA_OP_THREADS', 1, 1),
    auth: {
      ...(env.AUTH_JWT_SECRET ? { hs256Secret: env.AUTH_JWT_SECRET } : {}),
      ...(env.AUTH_JWKS_URL ? { jwksUrl: env.AUTH_JWKS_URL } : {}),
      ...(env.AUTH_JWT_ISSUER ? { issuer: env.AUTH_JWT_ISSUER } : {}),
      ...(env.AUTH_JWT_AUDIENCE ? { audience: env.AUTH_JWT_AUDIENCE } : {}),
      maxLifetimeSeconds: integer(env, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS', 24 * 3600, 60),
      clockSkewSeconds: integer(env, 'AUTH_CLOCK_SKEW_SECONDS', 30, 0),
    },
    trustedProxyHops: integer(env, 'TRUSTED_PROXY_HOPS', 0, 0),
    rateLimit: {
      perSecond: integer(env, 'RATE_LIMIT_PER_SECOND', 0, 0),
      burst: integer(env, 'RATE_LIMIT_BURST', 50, 1),
    },
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 20_000, 0),
    http: {
      requestMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 1000),
      headersMs: integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 1000),
      keepAliveMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 1000),
    },
    servingRole: servingRole(env),
  };
}
