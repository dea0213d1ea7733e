/**
 * Fault benchmark: a submit load against the real server process for 60 s while its PostgreSQL
 * (the test bed's, started here) is killed with SIGKILL and restarted three times, or with
 * `--fault pause` has every process paused (SIGSTOP) for `--down-ms` and resumed (SIGCONT). Reports what
 * the load saw (201, 503, other 5xx, connection errors), acknowledged (201) against stored rows,
 * rows stored for a request that got no 201, and the recovery time after each restart: from
 * PostgreSQL accepting queries again to the first 201 after it.
 *
 * `npm run bench:fault [-- --seconds 60 --workers 8 --kills 3 --down-ms 2000 --fault kill|pause]`
 */
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createLogger } from '../lib/logger.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import { startPostgres, startPostgresServer } from '../scripts/testbed/postgres.js';
import { Run } from '../scripts/testbed/runs.js';
import { cacheRoot } from '../scripts/testbed/versions.js';
import {
  postgresDaemon,
  ROOT,
  signalAndWait,
  signalPostgres,
  startServer,
  storedTokens,
  submitLoad,
} from '../test/server-process.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    workers: { type: 'string', default: '8' },
    kills: { type: 'string', default: '3' },
    'down-ms': { type: 'string', default: '2000' },
    fault: { type: 'string', default: 'kill' },
  },
});
const seconds = Number(values.seconds);
const workers = Number(values.workers);
const kills = Number(values.kills);
const downMs = Number(values['down-ms']);
const fault = values.fault;
if (fault !== 'kill' && fault !== 'pause')
  throw new Error(`--fault must be kill or pause, not "${fault}"`);

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!
      .server_version;
  } finally {
    await client.end();
  }
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

async function main(): Promise<void> {
  const run = await Run.create();
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const bundle = await ensureDefaultBundle(cacheRoot(), createLogger('bench-fault', 'warn'));
    const databaseUrl = await startPostgres(run);
    const port = Number(new URL(databaseUrl).port);
    const dataDir = path.join(run.dir, 'postgres');
    let daemon = await postgresDaemon(run);
    server = await startServer({
      DATABASE_URL: databaseUrl,
      MODEL_DIR: bundle,
      ROUTING_POLICY_FILE: path.join(ROOT, 'config/routing_rules.yaml'),
      LOG_LEVEL: 'warn',
    });
    const loadAtStart = os.loadavg()[0]!;
    const started = performance.now();
    const load = submitLoad(server.url, workers, 'bench');
    const faults: { killedAt: number; readyAt: number }[] = [];
    // Kills spread evenly, each followed by `downMs` without a database and a restart.
    const gap = (seconds * 1000) / (kills + 1);
    for (let k = 1; k <= kills; k++) {
      await sleep(Math.max(0, started + gap * k - performance.now()));
      const killedAt = performance.now();
      if (fault === 'pause') {
        await signalPostgres(dataDir, 'SIGSTOP');
        await sleep(downMs);
        await signalPostgres(dataDir, 'SIGCONT');
      } else {
        await signalAndWait(daemon, 'SIGKILL', true);
        await sleep(downMs);
        daemon = (await startPostgresServer(run, dataDir, port)).daemon;
      }
      faults.push({ killedAt, readyAt: performance.now() });
    }
    await sleep(Math.max(0, started + seconds * 1000 - performance.now()));
    await load.stop();
    const elapsed = (performance.now() - started) / 1000;
    const alive = server.child.exitCode === null;

    const { outcomes } = load;
    const acknowledged = new Set(outcomes.filter((o) => o.status === 201).map((o) => o.token));
    const stored = new Set(await storedTokens(databaseUrl, 'bench'));
    const answered = outcomes.filter((o) => o.status === 201).map((o) => o.at);
    const first201After = (t: number): number | undefined =>
      answered
        .filter((at) => at > t)
        .reduce<number | undefined>(
          (first, at) => (first === undefined || at < first ? at : first),
          undefined,
        );
    const last201Before = (t: number): number =>
      answered.filter((at) => at <= t).reduce((last, at) => Math.max(last, at), started);
    const statusCounts = Object.fromEntries(
      [...Map.groupBy(outcomes, (o) => (o.status === 0 ? (o.error ?? 'error') : o.status))].map(
        ([status, list]) => [status, list.length],
      ),
    );
    const report = {
      command: `npm run bench:fault -- --seconds ${seconds} --workers ${workers} --kills ${kills} --down-ms ${downMs} --fault ${fault}`,
      node: process.version,
      postgres: await postgresVersion(databaseUrl),
      cpus: os.cpus().length,
      loadAverage1mAtStart: round1(loadAtStart),
      loadAverage1mAtEnd: round1(os.loadavg()[0]!),
      seconds: round1(elapsed),
      requests: outcomes.length,
      statusCounts,
      acknowledged: acknowledged.size,
      storedRows: stored.size,
      acknowledgedButNotStored: [...acknowledged].filter((t) => !stored.has(t)).length,
      storedWithoutA201: [...stored].filter((t) => !acknowledged.has(t)).length,
      status5xx: outcomes.filter((o) => o.status >= 500).length,
      status503: outcomes.filter((o) => o.status === 503).length,
      status5xxOtherThan503: outcomes.filter((o) => o.status >= 500 && o.status !== 503).length,
      status503WithoutRetryAfter: outcomes.filter(
        (o) => o.status === 503 && !(Number(o.retryAfter) > 0),
      ).length,
      connectionErrors: outcomes.filter((o) => o.status === 0).length,
      serverStillRunning: alive,
      faults: faults.map((f) => {
        const recovered = first201After(f.readyAt);
        const first503 = outcomes.find((o) => o.status === 503 && o.at > f.killedAt);
        return {
          killedAtS: round1((f.killedAt - started) / 1000),
          // How long the first caller refused waited for its answer, at most (a pause: no hang).
          first503AfterS: first503 ? round1((first503.at - f.killedAt) / 1000) : null,
          postgresBackAfterS: round1((f.readyAt - f.killedAt) / 1000),
          recoveryAfterRestartS:
            recovered === undefined ? null : round1((recovered - f.readyAt) / 1000),
          // From the last 201 before the kill to the first after the restart: what callers saw.
          without201S:
            recovered === undefined ? null : round1((recovered - last201Before(f.killedAt)) / 1000),
        };
      }),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await run.remove();
  }
}

await main();
