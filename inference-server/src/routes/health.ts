/** /healthz (the process answers), /readyz (model loaded; database reachable when configured), /metrics. */
import Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';

export function healthRoutes(deps: AppDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    let database: 'up' | 'down' | 'not configured' = 'not configured';
    if (deps.pool) {
      try {
        await deps.pool.query('SELECT 1');
        database = 'up';
      } catch {
        database = 'down';
      }
      deps.metrics.databaseUp.set(database === 'up' ? 1 : 0);
    }
    const ready = deps.models.ready && database !== 'down';
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      ready,
      model: deps.models.runtime?.version ?? null,
      database,
      policy: deps.policy.current.version,
    };
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}
