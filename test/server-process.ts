/**
 * The inference server as a process (`inference-server/src/main.ts`) under a submit load, and the
 * test bed's PostgreSQL it runs against: what the fault tests (test/integration/server-faults)
 * and the fault benchmark (bench/fault.ts) drive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { childrenOf, freePorts, groupMembers, type Daemon } from '../scripts/testbed/processes.js';
import type { Run } from '../scripts/testbed/runs.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Outcome {
  token: string;
  status: number;
  retryAfter?: string | null;
  error?: string;
  /** When the answer (or the failure) came, from `performance.now()`. */
  at: number;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts the server with `env` on a free port and waits until `/readyz` answers 200. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, ['--import', 'tsx', 'inference-server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited at start:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the server was not ready in 120 s:\n${output}`);
    await sleep(250);
  }
  return { url, child, exited, output: () => output };
}

function inquiryFor(token: string): Record<string, string> {
  return {
    subject: 'Refund question',
    body: `Fault probe ${token}: my invoice was charged twice, please refund it.`,
    sender_email: 'fault.probe@example.com',
  };
}

/** One submit with `token` in its body and as its Idempotency-Key. */
export async function submit(url: string, token: string): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/api/v1/inquiries/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': token },
      body: JSON.stringify(inquiryFor(token)),
    });
    await response.arrayBuffer();
    return {
      token,
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      at: performance.now(),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      token,
      status: 0,
      error: cause?.code ?? cause?.message ?? String(error),
      at: performance.now(),
    };
  }
}

/** `workers` loops submitting distinct inquiries until `stop()`; every outcome is kept. */
export function submitLoad(
  url: string,
  workers: number,
  prefix: string,
): { outcomes: Outcome[]; stop: () => Promise<void> } {
  const outcomes: Outcome[] = [];
  let stopped = false;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    for (let i = 0; !stopped; i++) {
      const outcome = await submit(url, `${prefix}-${worker}-${i}`);
      outcomes.push(outcome);
      if (outcome.status !== 201) await sleep(50);
    }
  });
  return {
    outcomes,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** The tokens of the stored inquiries that `submit` made with tokens starting `prefix-`. */
export async function storedTokens(url: string, prefix: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ body: string }>(
      'SELECT body FROM inquiries WHERE body LIKE $1',
      [`Fault probe ${prefix}-%`],
    );
    return rows.map((row) => /^Fault probe (\S+):/.exec(row.body)![1]!);
  } finally {
    await client.end();
  }
}

/** The run's PostgreSQL daemon (as `startPostgres` recorded it). */
export async function postgresDaemon(run: Run): Promise<Daemon> {
  const state = JSON.parse(await readFile(path.join(run.dir, 'state.json'), 'utf8')) as {
    daemons: Daemon[];
  };
  const daemon = state.daemons.findLast((d) => d.name === 'postgres');
  if (!daemon) throw new Error(`no postgres daemon recorded in ${run.dir}`);
  return daemon;
}

/** Signals the daemon (its whole process group when `group`) and waits until it is gone. */
export async function signalAndWait(
  daemon: Daemon,
  signal: NodeJS.Signals,
  group: boolean,
): Promise<void> {
  process.kill(group ? -daemon.pid : daemon.pid, signal);
  while (groupMembers(daemon.pid).length > 0) await sleep(50);
}

/**
 * Sends `signal` (SIGSTOP to pause, SIGCONT to resume) to every process of the PostgreSQL server
 * of `dataDir`: its postmaster and the backends and workers it forked, which are each in a
 * session of their own and so outside any process group a signal could name.
 */
export async function signalPostgres(dataDir: string, signal: NodeJS.Signals): Promise<void> {
  const postmaster = Number(
    (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0],
  );
  for (const pid of [postmaster, ...childrenOf(postmaster)]) process.kill(pid, signal);
}
