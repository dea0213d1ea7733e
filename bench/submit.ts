/**
 * Where a submit's time goes (`npm run bench:submit`): `POST /api/v1/inquiries/submit` at full
 * speed (BENCH_CONNECTIONS, default 16) and at an offered rate (BENCH_SUBMIT_RATE, default 1000/s)
 * for BENCH_SECONDS each, against the test bed's PostgreSQL started with pg_stat_statements. For
 * each measure it reports, per submit: the server's CPU time (and its CPU per classify of the same
 * texts at the rate it just stored) and PostgreSQL's (the postmaster and its children, exited
 * backends included, the benchmark's own sessions left out); per transaction: the submits it
 * carried (the batch size) and the top-level statements it ran; WAL records, writes and flushes
 * per second; and what PostgreSQL's active backends waited on (pg_stat_activity sampled every
 * 10 ms). Each statement's calls, rows and time come from pg_stat_statements. Figures move with
 * the machine's load: compare a baseline measured in the same run.
 * BENCH_BASELINE_DIR (a checkout with node_modules) measures that commit's server too, on its own
 * database of the same PostgreSQL, in turn with ours. BENCH_CPU_PROF=<dir> runs our server with
 * `--cpu-prof` and prints the busiest functions and files of its profile.
 * Prints one JSON line; figures go to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createLogger } from '../lib/logger.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import { startPostgres } from '../scripts/testbed/postgres.js';
import { freePorts } from '../scripts/testbed/processes.js';
import { Run } from '../scripts/testbed/runs.js';
import { cacheRoot } from '../scripts/testbed/versions.js';
import { postgresDaemon } from '../test/server-process.js';
import { cpuMicros, submitBodies, waitFor } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const rate = Number(process.env.BENCH_SUBMIT_RATE ?? 1000);
const baselineDir = process.env.BENCH_BASELINE_DIR;
const profileDir = process.env.BENCH_CPU_PROF;

/**
 * CPU time of a PostgreSQL server: the postmaster, its live children but `except`, and the
 * exited ones (each child starts a session of its own, so they are found by parent, not by
 * process group).
 */
function postgresCpuMicros(postmaster: number, except: number[]): number {
  const children = readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry) || except.includes(Number(entry))) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
    } catch {
      return false;
    }
  });
  return children.reduce((sum, pid) => sum + cpuMicros(Number(pid)), cpuMicros(postmaster, true));
}

async function submitLoad(url: string, tag: string, offered?: number, duration = seconds) {
  return postLoad(url, submitBodies(tag), offered, duration);
}

async function postLoad(url: string, bodies: () => string, offered?: number, duration = seconds) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections,
    duration,
    ...(offered ? { overallRate: offered } : {}),
    requests: [{ setupRequest: (request: autocannon.Request) => ({ ...request, body: bodies() }) }],
  });
  return {
    submitsPerSecond: Math.round(result.requests.average),
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

interface Target {
  name: string;
  database: string;
  url: string;
  server: ChildProcess;
}

/** One measure of one target, with the database's statistics reset before it. */
async function measure(
  admin: pg.Client,
  postmaster: number,
  target: Target,
  offered: number | undefined,
) {
  await admin.query(`SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal'),
                            pg_stat_reset_shared('io')`);
  const commits = async (): Promise<number> =>
    Number(
      (
        await admin.query<{ n: string }>(
          'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
          [target.database],
        )
      ).rows[0]!.n,
    );
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const commitsBefore = await commits();
  const waits = new Map<string, number>();
  let samples = 0;
  let sampling = true;
  const probe = new pg.Client({ connectionString: adminUrl, application_name: 'bench-submit' });
  await probe.connect();
  // The sampler's and this function's own backends are left out of PostgreSQL's CPU time.
  const ownBackends = (
    await probe.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-submit'`,
    )
  ).rows.map((row) => row.pid);
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await probe.query<{ wait: string | null }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait
           FROM pg_stat_activity WHERE datname = $1 AND state = 'active'`,
        [target.database],
      );
      samples++;
      for (const { wait } of rows) waits.set(wait!, (waits.get(wait!) ?? 0) + 1);
      await sleep(10);
    }
    await probe.end();
  })();
  const serverBefore = cpuMicros(target.server.pid!);
  const postgresBefore = postgresCpuMicros(postmaster, ownBackends);
  const load = await submitLoad(
    `${target.url}/api/v1/inquiries/submit`,
    `${target.name}-${offered ?? 'full'}`,
    offered,
  );
  const serverCpu = cpuMicros(target.server.pid!) - serverBefore;
  const postgresCpu = postgresCpuMicros(postmaster, ownBackends) - postgresBefore;
  sampling = false;
  await sampler;
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const transactions = (await commits()) - commitsBefore;
  const { rows: statements } = await admin.query<{
    query: string;
    toplevel: boolean;
    calls: string;
    rows: string;
    ms: number;
  }>(
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query, toplevel, calls, rows,
            round(total_exec_time::numeric, 1)::float8 AS ms
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = $1 ORDER BY total_exec_time DESC`,
    [target.database],
  );
  const {
    rows: [wal],
  } = await admin.query<{ records: string; bytes: string; fpi: string }>(
    'SELECT wal_records AS records, wal_bytes AS bytes, wal_fpi AS fpi FROM pg_stat_wal',
  );
  const {
    rows: [walIo],
  } = await admin.query<{ writes: string; fsyncs: string }>(
    `SELECT sum(writes) AS writes, sum(fsyncs) AS fsyncs FROM pg_stat_io WHERE object = 'wal'`,
  );
  const stored = load.total - load.errors;
  // The same server classifying the same texts at the rate it just stored them: what the model,
  // HTTP and JSON cost per request at this rate, without the database.
  const classifyBefore = cpuMicros(target.server.pid!);
  const classify = await postLoad(
    `${target.url}/api/v1/inquiries/classify`,
    submitBodies(`${target.name}-classify`),
    Math.max(1, load.submitsPerSecond),
  );
  const classifyCpu = cpuMicros(target.server.pid!) - classifyBefore;
  const topLevelCalls = statements
    .filter((s) => s.toplevel)
    .reduce((sum, s) => sum + Number(s.calls), 0);
  const per = (n: number, d: number, digits = 1): number =>
    d > 0 ? Number((n / d).toFixed(digits)) : 0;
  return {
    target: target.name,
    offered: offered ?? 'full speed',
    ...load,
    serverCpuMicrosPerSubmit: Math.round(per(serverCpu, load.total)),
    serverCpuMicrosPerClassifyAtThisRate: Math.round(per(classifyCpu, classify.total)),
    postgresCpuMicrosPerSubmit: Math.round(per(postgresCpu, load.total)),
    transactionsPerSecond: Math.round(per(transactions, seconds)),
    submitsPerTransaction: per(stored, transactions),
    /** BEGIN and COMMIT count as statements of their own, also when sent with another. */
    statementsPerTransaction: per(topLevelCalls, transactions),
    walRecordsPerSubmit: per(Number(wal!.records), stored),
    walBytesPerSubmit: Math.round(per(Number(wal!.bytes), stored)),
    walFullPageImages: Number(wal!.fpi),
    walWritesPerSecond: Math.round(per(Number(walIo!.writes), seconds)),
    walFlushesPerSecond: Math.round(per(Number(walIo!.fsyncs), seconds)),
    /** Share of 10 ms samples in which an active backend was waiting on each event (or on CPU). */
    activeBackendsBySample: Object.fromEntries(
      [...waits.entries()]
        .sort(([, a], [, b]) => b - a)
        .slice(0, 8)
        .map(([wait, n]) => [wait, per(n, samples, 2)]),
    ),
    statements: statements.slice(0, 12).map((s) => ({
      query: s.query,
      toplevel: s.toplevel,
      callsPerTransaction: per(Number(s.calls), transactions, 2),
      rowsPerCall: per(Number(s.rows), Number(s.calls)),
      msPerCall: per(s.ms, Number(s.calls), 3),
    })),
  };
}

/** The busiest functions and files of a V8 CPU profile, by self time, with idle time left out. */
function summarizeProfile(file: string) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: {
      id: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // From the first sample in the submit use case on: start-up (module loading) is left out.
  const first = profile.samples.findIndex((id) =>
    byId.get(id)!.callFrame.url.endsWith('inference-server/src/submit.ts'),
  );
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (i >= first) self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]!);
  });
  const fileOf = (url: string): string => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (match) return match[1]!;
    return url.startsWith('file://') ? path.relative(root, fileURLToPath(url)) : url || '(native)';
  };
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') continue;
    busy += micros;
    const name = `${functionName || '(anonymous)'} ${fileOf(url)}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    files.set(fileOf(url), (files.get(fileOf(url)) ?? 0) + micros);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort(([, a], [, b]) => b - a)
      .slice(0, n)
      .map(([name, micros]) => ({ name, share: Number((micros / busy).toFixed(3)) }));
  return { busyMs: Math.round(busy / 1000), files: top(files, 20), functions: top(functions, 25) };
}

const bundle = await ensureDefaultBundle(cacheRoot(), createLogger('bench-submit', 'warn'));
const run = await Run.create();
const servers: ChildProcess[] = [];
let adminUrl = '';
try {
  adminUrl = await startPostgres(run, {
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
  });
  const postmaster = (await postgresDaemon(run)).pid;
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'bench-submit' });
  await admin.connect();
  await admin.query('CREATE EXTENSION pg_stat_statements');
  const { rows: settings } = await admin.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings
      WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method',
                     'shared_buffers', 'commit_delay', 'max_connections')`,
  );
  const [oursPort, baselinePort] = (await freePorts(2)) as [number, number];
  const startTarget = async (name: string, cwd: string, port: number): Promise<Target> => {
    const database = `bench_${name}`;
    await admin.query(`CREATE DATABASE ${database}`);
    const server = spawn(
      process.execPath,
      [
        ...(profileDir && name === 'ours' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
        '--import',
        'tsx',
        'inference-server/src/main.ts',
      ],
      {
        cwd,
        env: {
          ...process.env,
          PORT: String(port),
          MODEL_DIR: bundle,
          DATABASE_URL: adminUrl.replace(/\/postgres$/, `/${database}`),
          LOG_LEVEL: 'warn',
          ...(process.env.BENCH_NODE_OPTIONS
            ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }
            : {}),
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    servers.push(server);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/readyz`);
    return { name, database, url, server };
  };
  const targets = [await startTarget('ours', root, oursPort)];
  if (baselineDir) targets.push(await startTarget('baseline', baselineDir, baselinePort));
  for (const target of targets)
    await submitLoad(`${target.url}/api/v1/inquiries/submit`, `${target.name}-warm`, undefined, 3);
  const loadBefore = os.loadavg();
  const results = [];
  for (const offered of [undefined, rate])
    for (const target of targets) results.push(await measure(admin, postmaster, target, offered));
  const loadAfter = os.loadavg();
  await admin.end();
  let profile: ReturnType<typeof summarizeProfile> | undefined;
  if (profileDir) {
    const ours = targets[0]!.server;
    ours.kill('SIGTERM');
    await once(ours, 'exit');
    const file = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(profileDir, f))
      .sort()
      .at(-1);
    if (file) profile = { file, ...summarizeProfile(file) } as typeof profile;
  }
  console.log(
    JSON.stringify({
      bench: 'submit',
      seconds,
      connections,
      loadAverage: { before: loadBefore, after: loadAfter },
      postgres: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
      results,
      ...(profile ? { profile } : {}),
      node: process.version,
      cores: os.cpus().length,
    }),
  );
} finally {
  for (const server of servers) server.kill('SIGTERM');
  await sleep(2000);
  await run.remove();
}
