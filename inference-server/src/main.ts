/**
 * The inference server (`inquiry-server`): serves the bundle in MODEL_DIR, on an embedded
 * PostgreSQL when no DATABASE_URL is given (data kept between runs), with
 * config/routing_rules.yaml reloaded on change. `npm start` runs `scripts/start.ts`, which
 * trains the default bundle on first start and then starts this server.
 */
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, watch } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { createLogger } from '../../lib/logger.js';
import { createApp } from './app.js';
import { createHttpServer } from './http-server.js';
import { loadConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { ModelHolder } from './model/holder.js';
import { PolicyHolder } from './policy-holder.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import {
  initialiseCluster,
  postgresRunAs,
  runnableBinaries,
  superviseServer,
} from '../../lib/store/embedded-postgres.js';

const logger = createLogger('inference-server');

async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
): Promise<{ url: string; stop: () => Promise<void> }> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  const runAs = await postgresRunAs();
  const cluster = {
    binaries: await runnableBinaries(runAs),
    dataDir,
    user: 'postgres',
    password: 'postgres',
    runAs,
  };
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialiseCluster(cluster);
  const server = await superviseServer(
    { ...cluster, port },
    {
      exited: (code, signal) =>
        logger.error({ code, signal }, 'embedded PostgreSQL exited; starting it again'),
      restarted: () => logger.info({ port }, 'embedded PostgreSQL started again'),
      restartFailed: (error, retryInMs) =>
        logger.warn(
          { error: error.message, retryInMs },
          'embedded PostgreSQL did not start again; retrying',
        ),
    },
  );
  logger.info(
    { dataDir, port },
    'using an embedded PostgreSQL (set DATABASE_URL to use a server); its data stays in the directory between runs',
  );
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: server.stop,
  };
}

/** Migrates now, or keeps trying in the background while the database is unreachable. */
async function migrateWhenReachable(pool: pg.Pool, onReady: () => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrate(pool);
      logger.info({ applied }, 'database schema up to date');
      onReady();
      return;
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn(
        { error: error instanceof Error ? error.message : String(error), retryInMs: delay },
        'database not ready; classification works meanwhile, submit answers 503',
      );
      await sleep(delay);
    }
  }
}

/** A changed model.json in MODEL_DIR (a new bundle copied or symlinked in) swaps the model in. */
function watchModel(dir: string, models: ModelHolder): void {
  let timer: NodeJS.Timeout | undefined;
  watch(dir, (_event, file) => {
    if (file !== 'model.json' && file !== '..data') return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      models
        .load(dir)
        .catch((error: unknown) =>
          logger.warn(
            { dir, error: error instanceof Error ? error.message : String(error) },
            'new model refused; the current one keeps serving',
          ),
        );
    }, 500);
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const modelDir = config.modelDir;
  if (!modelDir) {
    throw new Error(
      'MODEL_DIR is not set: point it at a model bundle (a folder with model.json, model.onnx and tokenizer.json), or run `npm start`, which trains the default bundle first',
    );
  }
  const metrics = createMetrics();
  const policy = await PolicyHolder.load(
    config.policyFile,
    logger,
    (result) => metrics.policyReloads.inc({ result }),
    config.policyOptions,
  );
  policy.watch();

  let stopPostgres: (() => Promise<void>) | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(
      config.embeddedPostgres.dataDir,
      config.embeddedPostgres.port,
    );
    databaseUrl = embedded.url;
    stopPostgres = embedded.stop;
  }
  const pool = createPool(databaseUrl, {
    applicationName: 'inquiry-server',
    onConnectionLost: (error) =>
      logger.warn(
        { code: (error as { code?: string }).code, error: error.message },
        'a database connection was lost; requests needing the database answer 503 until it is back',
      ),
  });
  let schemaReady = false;
  void migrateWhenReachable(pool, () => (schemaReady = true));

  const models = new ModelHolder(
    config.batching,
    { intraOpThreads: config.intraOpThreads },
    (previous, next) => {
      if (previous) metrics.modelInfo.remove({ model_version: previous });
      metrics.modelInfo.set({ model_version: next }, 1);
      if (previous) metrics.modelSwaps.inc();
      logger.info({ previous, next }, 'model loaded');
    },
  );
  let stopping = false;
  const app = createApp({
    models,
    policy,
    pool,
    metrics,
    logger,
    clock: () => new Date(),
    limits: { bodyBytes: config.bodyLimitBytes, maxBatch: config.maxBatch },
    modelName: config.modelName,
    auth: config.auth,
    servingRole: config.servingRole,
    reloadModel: async () => {
      await models.load(modelDir);
      return models.runtime!.version;
    },
    rateLimit: config.rateLimit,
    trustedProxyHops: config.trustedProxyHops,
    stopping: () => stopping,
    schemaReady: () => schemaReady,
  });
  const callback = app.callback();
  const http = createHttpServer(
    (request, response) => void callback(request, response),
    config.http,
  );
  const { server } = http;
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  logger.info(
    { address },
    `inference server listening on http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`,
  );

  /**
   * Readiness goes false, the listener stops accepting, requests in flight finish (within the
   * grace period), connections close, then the model, the pool and the embedded database (last)
   * are stopped. Exit 0 unless a step failed.
   */
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, inFlight: http.inFlight, graceMs: config.shutdownGraceMs },
      'shutting down: finishing the requests in flight',
    );
    let code = 0;
    const step = async (name: string, run: () => Promise<unknown>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        code = 1;
        logger.error({ err: error }, `shutdown: ${name} failed`);
      }
    };
    policy.close();
    const finished = await http.drain(config.shutdownGraceMs);
    if (!finished)
      logger.warn({ graceMs: config.shutdownGraceMs }, 'grace period over; requests cut off');
    await step('closing the model', () => models.close());
    await step('closing the database pool', () => pool.end());
    if (stopPostgres) await step('stopping the embedded PostgreSQL', stopPostgres);
    logger.info({ code }, 'stopped');
    process.exit(code);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));

  await models.load(modelDir);
  watchModel(modelDir, models);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
