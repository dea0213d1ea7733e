/**
 * The HTTP app, composed in one visible place: errors first, then metrics, the body parser,
 * and one router per resource. `createApp(deps)` takes its collaborators, so tests run
 * `app.callback()` with real parts.
 */
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import Koa from 'koa';
import type { Counter, Histogram } from 'prom-client';
import type { AppDeps } from './app-deps.js';
import { authentication, rateLimit } from './auth.js';
import { bodyError, errorResponses, refuseLargeBodies, unavailable } from './errors.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { inquiryRoutes } from './routes/inquiries.js';
import { statsRoutes } from './routes/stats.js';
import { v2Routes } from './routes/v2.js';

interface HttpSeries {
  requests: Counter.Internal;
  duration: Histogram.Internal<string>;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // X-Forwarded-For names the client only when set by proxies this server is told to trust.
  app.proxy = (deps.trustedProxyHops ?? 0) > 0;
  app.maxIpsCount = deps.trustedProxyHops ?? 0;
  app.silent = true;
  const routers = [
    healthRoutes(deps),
    inquiryRoutes(deps),
    statsRoutes(deps),
    v2Routes(deps),
    docsRoutes(),
  ];
  // The metric children of each label set, looked up once (a handful: routes × methods × statuses).
  const series = new Map<string, HttpSeries>();
  const httpSeries = (route: string, method: string, status: number): HttpSeries => {
    const key = `${route} ${method} ${status}`;
    let found = series.get(key);
    if (!found) {
      found = {
        requests: deps.metrics.httpRequests.labels({ route, method, status: String(status) }),
        duration: deps.metrics.httpDuration.labels({ route, method }),
      };
      series.set(key, found);
    }
    return found;
  };
  app.use(async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // A request refused before routing (401, 413, 429) is labelled with the route it asked for.
      const route =
        (ctx as { _matchedRoute?: string })._matchedRoute ??
        routeTemplate(routers, ctx.path, ctx.method) ??
        'unmatched';
      const series = httpSeries(route, ctx.method, ctx.status);
      series.requests.inc();
      series.duration.observe((performance.now() - started) / 1000);
    }
  });
  app.use(errorResponses(deps.logger));
  app.use(authentication(deps.auth ?? {}));
  app.use(refuseLargeBodies(deps.limits.bodyBytes));
  app.use(rateLimit(deps.rateLimit ?? { perSecond: 0, burst: 0 }));
  app.use(async (ctx, next) => {
    if (deps.schemaReady && !deps.schemaReady() && needsDatabase(ctx.path))
      throw unavailable('the database schema is being prepared; nothing was stored, retry shortly');
    await next();
  });
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: deps.limits.bodyBytes,
      jsonStrict: false,
      onError: (error) => {
        throw bodyError(error);
      },
    }),
  );
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: false }));
  }
  return app;
}

/** The path template (`/api/v1/inquiries/:id`) of the route a request asks for, if any. */
function routeTemplate(
  routers: readonly Router[],
  path: string,
  method: string,
): string | undefined {
  for (const router of routers) {
    const layer = router.match(path, method).pathAndMethod.findLast((l) => l.methods.length > 0);
    if (layer) return String(layer.path);
  }
  return undefined;
}

/** Routes that read or write stored inquiries; classification alone works without a database. */
function needsDatabase(path: string): boolean {
  return path.startsWith('/api/v1/') && !path.startsWith('/api/v1/inquiries/classify');
}
