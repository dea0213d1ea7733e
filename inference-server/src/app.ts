/**
 * The HTTP app, composed in one visible place: errors first, then metrics, the body parser,
 * and one router per resource; in front of Koa, the plain classify requests are answered by a
 * handler of their own (fast-classify.ts). `createApp(deps)` takes its collaborators, so tests
 * run `app.callback()` with real parts.
 */
import type Router from '@koa/router';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import Koa from 'koa';
import type { AppDeps } from './app-deps.js';
import { authentication, authRequired, rateLimit } from './auth.js';
import { errorResponses, refuseLargeBodies, refuseOtherCharsets, unavailable } from './errors.js';
import { fastClassify } from './fast-classify.js';
import { jsonBody } from './json-body.js';
import { httpRecorder } from './metrics.js';
import { Classifier } from './model/classifier.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { inquiryRoutes } from './routes/inquiries.js';
import { statsRoutes } from './routes/stats.js';
import { v2Routes } from './routes/v2.js';

type Front = (request: IncomingMessage, response: ServerResponse) => boolean;

/** Koa, with a handler in front that answers the requests it takes and passes the others on. */
class FrontedKoa extends Koa {
  front: Front | undefined;

  override callback(): (
    request: IncomingMessage | Http2ServerRequest,
    response: ServerResponse | Http2ServerResponse,
  ) => Promise<void> {
    const koa = super.callback();
    const front = this.front;
    if (!front) return koa;
    return (request, response) =>
      front(request as IncomingMessage, response as ServerResponse)
        ? Promise.resolve()
        : koa(request, response);
  }
}

/**
 * The app. The classify route's plain requests skip Koa when no token or rate limit is checked;
 * `{ fastClassify: false }` sends every request through Koa (tests compare the two).
 */
export function createApp(deps: AppDeps, { fastClassify: withFastClassify = true } = {}): Koa {
  const app = new FrontedKoa();
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
  const recordHttp = httpRecorder(deps.metrics);
  if (withFastClassify && !authRequired(deps.auth ?? {}) && (deps.rateLimit?.perSecond ?? 0) <= 0)
    app.front = fastClassify({
      classifier: new Classifier(deps.models, deps.metrics),
      logger: deps.logger,
      bodyBytes: deps.limits.bodyBytes,
      recordHttp,
    });
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
      recordHttp(route, ctx.method, ctx.status, (performance.now() - started) / 1000);
    }
  });
  app.use(errorResponses(deps.logger));
  app.use(authentication(deps.auth ?? {}));
  app.use(refuseLargeBodies(deps.limits.bodyBytes));
  app.use(refuseOtherCharsets());
  app.use(rateLimit(deps.rateLimit ?? { perSecond: 0, burst: 0 }));
  app.use(async (ctx, next) => {
    if (deps.schemaReady && !deps.schemaReady() && needsDatabase(ctx.path))
      throw unavailable('the database schema is being prepared; nothing was stored, retry shortly');
    await next();
  });
  app.use(jsonBody(deps.limits.bodyBytes));
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
