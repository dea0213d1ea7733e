/** What the HTTP app is made of; tests pass real parts or narrow fakes of these interfaces. */
import type pg from 'pg';
import type { Logger } from '../../lib/logger.js';
import type { AuthOptions } from './auth.js';
import type { Metrics } from './metrics.js';
import type { ModelHolder } from './model/holder.js';
import type { Policy } from '../../lib/routing/policy.js';

export type ServingRole = 'primary' | 'shadow';

export interface AppDeps {
  models: ModelHolder;
  policy: { readonly current: Policy };
  /** Undefined: no database (classification only; submit answers 503). */
  pool: pg.Pool | undefined;
  metrics: Metrics;
  logger: Logger;
  clock: () => Date;
  limits: {
    /** Largest request body, in bytes. */
    bodyBytes: number;
    /** Most texts per batch call. */
    maxBatch: number;
  };
  /** The model name of the Open Inference Protocol routes (/v2/models/{name}). */
  modelName: string;
  /** Bearer JWT checking; off when neither a secret nor a JWKS URL is given. */
  auth?: AuthOptions;
  /** Reloads the configured model bundle (POST /admin/model/reload); absent: the route answers 404. */
  reloadModel?: () => Promise<string>;
  /** How many proxies in front (each appending to X-Forwarded-For) are trusted; 0: none. */
  trustedProxyHops?: number;
  /** True once the process is shutting down: readiness answers 503 so traffic moves away. */
  stopping?: () => boolean;
  /** False until the database schema is migrated: routes that store or read inquiries answer 503. */
  schemaReady?: () => boolean;
  /**
   * `shadow`: a Shadow rollout's candidate behind an Istio mirror. It classifies and counts
   * what it is sent and stores nothing (the primary stores every request). Default `primary`.
   */
  servingRole?: ServingRole;
  /** Requests per second and burst per client; off when perSecond is 0 or absent. */
  rateLimit?: { perSecond: number; burst: number };
}
