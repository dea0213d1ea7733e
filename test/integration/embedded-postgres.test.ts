/**
 * The embedded PostgreSQL from a checkout private to root (`/root/…`, mode 700), where the
 * `postgres` user that runs it cannot enter: the binaries run from a copy it can read, and a data
 * directory it cannot reach is refused with what to do. Only root meets this case.
 */
import { spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  initialiseCluster,
  packagedBinaries,
  postgresRunAs,
  runnableBinaries,
  startServer,
  superviseServer,
  type RunAs,
} from '../../lib/store/embedded-postgres.js';
import { freePorts } from '../../scripts/testbed/processes.js';

const asRoot = process.getuid?.() === 0;

function spawnError(command: string, runAs: RunAs): Promise<string | number> {
  return new Promise((resolve) => {
    const child = spawn(command, ['--version'], { ...runAs, stdio: 'ignore' });
    child.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    child.once('close', (code) => resolve(code ?? -1));
  });
}

(asRoot ? describe : describe.skip)('embedded PostgreSQL from a private checkout', () => {
  let privateDir: string;
  let openDir: string;
  let runAs: RunAs;

  beforeAll(async () => {
    runAs = (await postgresRunAs())!;
    privateDir = await mkdtemp(path.join(tmpdir(), 'private-checkout-'));
    await chmod(privateDir, 0o700);
    openDir = await mkdtemp(path.join(tmpdir(), 'open-'));
    await chmod(openDir, 0o755);
  });

  afterAll(async () => {
    await rm(privateDir, { recursive: true, force: true });
    await rm(openDir, { recursive: true, force: true });
  });

  it('runs the binaries from a copy the postgres user can read', async () => {
    const packaged = await packagedBinaries();
    const nativeDir = path.dirname(path.dirname(packaged.postgres));
    const checkout = path.join(privateDir, 'native');
    await cp(nativeDir, checkout, { recursive: true, verbatimSymlinks: true });
    const inCheckout = {
      initdb: path.join(checkout, 'bin', 'initdb'),
      postgres: path.join(checkout, 'bin', 'postgres'),
    };
    // What crashed `npm start` and `npm test`.
    expect(await spawnError(inCheckout.initdb, runAs)).toBe('EACCES');

    const binaries = await runnableBinaries(runAs, inCheckout, path.join(openDir, 'copies'));
    expect(binaries.postgres.startsWith(path.join(openDir, 'copies'))).toBe(true);
    const cluster = {
      binaries,
      dataDir: path.join(openDir, 'data'),
      user: 'postgres',
      password: 'secret',
      runAs,
    };
    await initialiseCluster(cluster);
    const [port] = await freePorts(1);
    const server = await startServer({ ...cluster, port: port! });
    const client = new pg.Client(`postgres://postgres:secret@127.0.0.1:${port}/postgres`);
    try {
      await client.connect();
      const { rows } = await client.query<{ answer: number }>('SELECT 6 * 7 AS answer');
      expect(rows[0]!.answer).toBe(42);
    } finally {
      await client.end();
      await server.stop();
    }
    expect(server.process.exitCode ?? server.process.signalCode).not.toBeNull();
  });

  it('refuses a data directory the postgres user cannot enter, saying what to do', async () => {
    await expect(
      initialiseCluster({
        binaries: await runnableBinaries(runAs),
        dataDir: path.join(privateDir, 'data'),
        user: 'postgres',
        password: 'secret',
        runAs,
      }),
    ).rejects.toThrow(
      /cannot enter the data directory .*set EMBEDDED_PG_DIR .*or set DATABASE_URL/,
    );
  });
});

describe('embedded PostgreSQL under supervision', () => {
  let dir: string;

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts the server again after a SIGKILL, with its data, and never after stop()', async () => {
    const runAs = await postgresRunAs();
    dir = await mkdtemp(path.join(tmpdir(), 'supervised-'));
    await chmod(dir, 0o755);
    const cluster = {
      binaries: await runnableBinaries(runAs),
      dataDir: path.join(dir, 'data'),
      user: 'postgres',
      password: 'secret',
      runAs,
    };
    await initialiseCluster(cluster);
    const [port] = await freePorts(1);
    const events: string[] = [];
    const server = await superviseServer(
      { ...cluster, port: port! },
      {
        exited: (_code, signal) => events.push(`exited ${signal}`),
        restarted: () => events.push('restarted'),
        restartFailed: () => events.push('start failed'),
      },
    );
    const query = async (sql: string): Promise<unknown[]> => {
      const client = new pg.Client(`postgres://postgres:secret@127.0.0.1:${port}/postgres`);
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
      const killed = server.pid!;
      process.kill(killed, 'SIGKILL');
      let rows: unknown[] | undefined;
      for (let deadline = Date.now() + 60_000; !rows && Date.now() < deadline;) {
        rows = await query('SELECT n FROM kept').catch(() => undefined);
        if (!rows) await sleep(250);
      }
      expect(rows).toEqual([{ n: 7 }]);
      expect(server.pid).not.toBe(killed);
      expect(events[0]).toBe('exited SIGKILL');
      expect(events.at(-1)).toBe('restarted');
    } finally {
      await server.stop();
    }
    const after = events.length;
    await sleep(2500); // past the first restart's delay
    expect(events.length).toBe(after);
    await expect(query('SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
