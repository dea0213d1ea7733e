/**
 * /healthz (the process answers), /readyz (model loaded; database reachable when configured),
 * /metrics, and POST /admin/model/reload (load the configured bundle again, swapping atomically).
 */
import Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';
import { requireAdmin } from '../auth.js';
import { HttpError, notFound } from '../errors.js';
import { boundedQuery } from '../../../lib/store/pool.js';

/** A database that has not answered `SELECT 1` by then is down (a paused server never does). */
const READY_QUERY_TIMEOUT_MS = 2_000;

export function healthRoutes(deps: AppDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const stopping = deps.stopping?.() ?? false;
    let database: 'up' | 'down' | 'not configured' = 'not configured';
    if (deps.pool && !stopping) {
      try {
        await deps.pool.query(boundedQuery('SELECT 1', READY_QUERY_TIMEOUT_MS));
        database = 'up';
      } catch {
        database = 'down';
      }
      deps.metrics.databaseUp.set(database === 'up' ? 1 : 0);
    }
    const ready = !stopping && deps.models.ready && database !== 'down';
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      ready,
      model: deps.models.runtime?.version ?? null,
      database,
      policy: deps.policy.current.version,
      ...(stopping ? { stopping: true } : {}),
    };
  });
  router.post('/admin/model/reload', async (ctx) => {
    requireAdmin(ctx);
    if (!deps.reloadModel) throw notFound('model reload is not available on this server');
    const previous = deps.models.runtime?.version ?? null;
    try {
      const version = await deps.reloadModel();
      ctx.body = { previous, current: version };
    } catch (error) {
      throw new HttpError(
        422,
        'model_invalid',
        `the new model was not loaded, the current one stays: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
