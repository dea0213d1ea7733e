/** GET /api/v1/stats?from=&to= (or ?hours=24): counts and rates over a time window. */
import Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';
import { badRequest, unavailable } from '../errors.js';
import { statistics } from '../../../lib/store/views.js';

/** ISO 8601 dates and times with a four-digit year (within what PostgreSQL stores). */
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

function parseTime(value: unknown, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = typeof value === 'string' && ISO_TIME.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw badRequest(`${name} must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z`);
  return date;
}

export function statsRoutes(deps: AppDeps): Router {
  const router = new Router();
  router.get('/api/v1/stats', async (ctx) => {
    const hours = ctx.query.hours === undefined ? 24 : Number(ctx.query.hours);
    if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 366)
      throw badRequest('hours must be a number between 0 and 8784');
    const to = parseTime(ctx.query.to, 'to') ?? deps.clock();
    const from = parseTime(ctx.query.from, 'from') ?? new Date(to.getTime() - hours * 3600_000);
    if (from >= to) throw badRequest('from must be before to');
    if (!deps.pool) throw unavailable('this server runs without a database', 60);
    ctx.body = await statistics(deps.pool, from, to);
  });
  return router;
}
