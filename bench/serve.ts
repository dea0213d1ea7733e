/**
 * Serving benchmark (`npm run bench:serve`), all on loopback with autocannon and the same client
 * settings for every target, one run:
 * - our `/api/v1/inquiries/classify` (requests/s, p50, p99, peak RSS),
 * - the ceiling: a bare node:http server answering a fixed JSON body,
 * - the peer: the same bundle behind FastAPI + uvicorn (one worker) + tokenizers + onnxruntime
 *   (skipped with BENCH_PEER=0),
 * - our classify again at the peer's saturation rate (p99 there),
 * - our `/api/v1/inquiries/submit` with PostgreSQL writes, at full speed and at fixed rates
 *   (BENCH_SUBMIT_RATES, default 1000),
 * - the same classify and submit figures for a previous commit's server (BENCH_BASELINE_DIR: a
 *   checkout of it with node_modules), on its own database of the same PostgreSQL,
 * - a soak (BENCH_SOAK_SECONDS, default 0: none): classify and submit at fixed rates
 *   (BENCH_SOAK_CLASSIFY_RATE, BENCH_SOAK_SUBMIT_RATE), RSS sampled every 5 s, and the heap,
 *   external memory and RSS from the server's own metrics at the end.
 * Our server, the ceiling and the baseline are measured in turn, BENCH_ROUNDS times (default
 * 3), and each keeps its median round, so the shared machine's changing load falls on all alike.
 * Each classify and submit figure also carries the serving process's CPU time per request (user +
 * system, from /proc), which the machine's load moves less than requests/s. BENCH_SUBMIT=0 measures
 * classify and the ceiling only.
 * Every server serves the default model (trained into the cache on first use), or the bundle in
 * BENCH_MODEL_DIR; the baseline's server the bundle in BENCH_BASELINE_MODEL_DIR if set (e.g. the
 * same code with another bundle: BENCH_BASELINE_DIR=. measures a model's export alone).
 * The servers run as the image runs them (BENCH_SERVER_RUNTIME=compiled, the default): compiled by
 * tsc, with NODE_ENV=production; BENCH_SERVER_RUNTIME=tsx runs the sources through tsx instead.
 * Only a PostgreSQL is started (the test bed's binaries). The machine's load average is
 * printed with the figures. Prints one JSON line; figures go to bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createLogger } from '../lib/logger.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import pg from 'pg';
import { startPostgres } from '../scripts/testbed/postgres.js';
import { freePorts } from '../scripts/testbed/processes.js';
import { Run } from '../scripts/testbed/runs.js';
import { cacheRoot } from '../scripts/testbed/versions.js';
import { compiledTree, cpuMicros, submitBodies, waitFor } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const withPeer = process.env.BENCH_PEER !== '0';
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const withSubmit = process.env.BENCH_SUBMIT !== '0';
const submitRates = (process.env.BENCH_SUBMIT_RATES ?? '1000')
  .split(',')
  .filter(Boolean)
  .map(Number);
const baselineDir = process.env.BENCH_BASELINE_DIR;
const runtime = process.env.BENCH_SERVER_RUNTIME ?? 'compiled';
if (runtime !== 'compiled' && runtime !== 'tsx')
  throw new Error(`BENCH_SERVER_RUNTIME=${runtime}: expected compiled or tsx`);
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 0);
const soakClassifyRate = Number(process.env.BENCH_SOAK_CLASSIFY_RATE ?? 1000);
const soakSubmitRate = Number(process.env.BENCH_SOAK_SUBMIT_RATE ?? 500);
const logger = createLogger('bench', 'warn');
const body = JSON.stringify(
  'Hello, since this morning I cannot access my dashboard and the export fails with error 503. Please help asap.',
);

function rssMb(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024);
}

/** Heap, external memory and RSS from a server's own /metrics (prom-client's default metrics). */
async function memoryFromMetrics(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string): number =>
    Math.round(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return {
    rssMb: value('inquiry_server_process_resident_memory_bytes'),
    heapUsedMb: value('inquiry_server_nodejs_heap_size_used_bytes'),
    heapTotalMb: value('inquiry_server_nodejs_heap_size_total_bytes'),
    externalMb: value('inquiry_server_nodejs_external_memory_bytes'),
  };
}

async function load(
  url: string,
  options: {
    rate?: number;
    setupBody?: () => string;
    seconds?: number;
    connections?: number;
    /** The serving process, whose CPU time per request is reported. */
    pid?: number;
  } = {},
) {
  const cpuBefore = options.pid ? cpuMicros(options.pid) : 0;
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: options.connections ?? connections,
    duration: options.seconds ?? duration,
    ...(options.rate ? { overallRate: options.rate } : {}),
    ...(options.setupBody
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                body: options.setupBody!(),
              }),
            },
          ],
        }
      : {}),
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    ...(options.pid
      ? {
          cpuMicrosPerRequest: Math.round(
            (cpuMicros(options.pid) - cpuBefore) / Math.max(1, result.requests.total),
          ),
        }
      : {}),
  };
}

type Figures = Awaited<ReturnType<typeof load>>;

/**
 * Runs the measures in turn, `rounds` times, and keeps each one's median round (by requests/s):
 * the shared machine's changing load falls on all of them alike.
 */
async function interleaved(measures: (() => Promise<Figures>)[]): Promise<Figures[]> {
  const runs: Figures[][] = measures.map(() => []);
  for (let round = 0; round < rounds; round++)
    for (const [i, measure] of measures.entries()) runs[i]!.push(await measure());
  return runs.map(
    (list) =>
      [...list].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[
        Math.floor(list.length / 2)
      ]!,
  );
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const venv = path.join(cacheRoot(), 'bench', 'peer-venv');
if (withPeer && !existsSync(path.join(venv, 'bin', 'uvicorn'))) {
  process.stderr.write(
    `creating the peer's virtualenv in ${venv} (fastapi, uvicorn, tokenizers, onnxruntime)\n`,
  );
  spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  spawnSync(
    path.join(venv, 'bin', 'pip'),
    ['install', '-q', 'fastapi', 'uvicorn', 'tokenizers', 'onnxruntime', 'numpy'],
    { stdio: 'inherit' },
  );
}

const bundle = process.env.BENCH_MODEL_DIR ?? (await ensureDefaultBundle(cacheRoot(), logger));
const run = await Run.create();
const children: ChildProcess[] = [];
const scratchDirs: string[] = []; // compiled trees
try {
  const adminUrl = await startPostgres(run);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE bench_ours');
  if (baselineDir) await admin.query('CREATE DATABASE bench_baseline');
  await admin.end();
  const databaseUrl = (name: string): string => adminUrl.replace(/\/postgres$/, `/${name}`);
  const [ours, ceiling, peer, baseline] = (await freePorts(4)) as [number, number, number, number];
  /** The server of the sources under `cwd` (ours, or the baseline's), as the image runs it. */
  const serverEntry = async (cwd: string): Promise<string[]> => {
    if (runtime === 'tsx') return ['--import', 'tsx', 'inference-server/src/main.ts'];
    const tree = await compiledTree(cwd, cwd); // a baseline runs with its own node_modules
    scratchDirs.push(tree);
    return [path.join(tree, 'inference-server/src/main.js')];
  };
  const startServer = async (cwd: string, port: number, database: string, modelDir = bundle) =>
    spawn(process.execPath, await serverEntry(cwd), {
      cwd, // config/routing_rules.yaml is read from the working directory, as in the image
      env: {
        ...process.env,
        ...(runtime === 'compiled' ? { NODE_ENV: 'production' } : {}),
        PORT: String(port),
        MODEL_DIR: modelDir,
        DATABASE_URL: databaseUrl(database),
        LOG_LEVEL: 'warn',
        ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const server = await startServer(root, ours, 'bench_ours');
  children.push(server);
  const bare = start(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"category":{"label":"technical_support","confidence":0.93},"model_version":"fixed"}')})}).listen(${ceiling},'127.0.0.1')`,
    ],
    {},
  );
  children.push(bare);
  const python = withPeer
    ? start(
        path.join(venv, 'bin', 'uvicorn'),
        [
          'server:app',
          '--app-dir',
          'bench/peer',
          '--host',
          '127.0.0.1',
          '--port',
          String(peer),
          '--workers',
          '1',
          '--log-level',
          'warning',
        ],
        { BUNDLE_DIR: bundle },
      )
    : undefined;
  if (python) children.push(python);
  const previous = baselineDir
    ? await startServer(
        baselineDir,
        baseline,
        'bench_baseline',
        process.env.BENCH_BASELINE_MODEL_DIR,
      )
    : undefined;
  if (previous) children.push(previous);
  await Promise.all([
    waitFor(`http://127.0.0.1:${ours}/readyz`),
    previous ? waitFor(`http://127.0.0.1:${baseline}/readyz`) : undefined,
    waitFor(`http://127.0.0.1:${ceiling}/`).catch(() => undefined),
    sleep(3000),
  ]);
  const loadBefore = os.loadavg();
  const classifyUrl = (port: number) => `http://127.0.0.1:${port}/api/v1/inquiries/classify`;
  const submitUrl = (port: number) => `http://127.0.0.1:${port}/api/v1/inquiries/submit`;
  await load(classifyUrl(ours)); // warm-up: JIT, onnxruntime arenas
  if (previous) await load(classifyUrl(baseline)); // its warm-up
  const [oursResult, ceilingResult, classifyBaseline] = (await interleaved([
    () => load(classifyUrl(ours), { pid: server.pid! }),
    () => load(`http://127.0.0.1:${ceiling}/`, { pid: bare.pid! }),
    ...(previous ? [() => load(classifyUrl(baseline), { pid: previous.pid! })] : []),
  ])) as [Figures, Figures, Figures | undefined];
  const peerResult = python ? await load(classifyUrl(peer)) : undefined;
  const atPeerRate = peerResult
    ? await load(classifyUrl(ours), { rate: Math.max(1, peerResult.requestsPerSecond) })
    : undefined;
  const measureSubmit = async () => {
    const submitTargets = [
      { port: ours, tag: 'ours', pid: server.pid! },
      ...(previous ? [{ port: baseline, tag: 'baseline', pid: previous.pid! }] : []),
    ];
    for (const { port, tag } of submitTargets)
      await load(submitUrl(port), { setupBody: submitBodies(`${tag}-warm`), seconds: 3 });
    const submitAt = async (rate: number | undefined) => {
      const figures = await interleaved(
        submitTargets.map(({ port, tag, pid }) => {
          const bodies = submitBodies(`${tag}-${rate ?? 'full'}`);
          return () => load(submitUrl(port), { setupBody: bodies, pid, ...(rate ? { rate } : {}) });
        }),
      );
      return { ours: figures[0]!, baseline: figures[1] };
    };
    const full = await submitAt(undefined);
    const atRates: Record<string, Awaited<ReturnType<typeof submitAt>>> = {};
    for (const rate of submitRates) atRates[rate] = await submitAt(rate);
    const submit = {
      full: full.ours,
      atRates: Object.fromEntries(Object.entries(atRates).map(([rate, f]) => [rate, f.ours])),
    };
    const submitBaseline = previous
      ? {
          full: full.baseline!,
          atRates: Object.fromEntries(
            Object.entries(atRates).map(([rate, f]) => [rate, f.baseline!]),
          ),
        }
      : undefined;
    return { submit, submitBaseline };
  };
  const submitFigures = withSubmit ? await measureSubmit() : undefined;
  const submit = submitFigures?.submit;
  const submitBaseline = submitFigures?.submitBaseline;
  const peakAfterBench = rssMb(server.pid!);

  let soak: Record<string, unknown> | undefined;
  if (soakSeconds > 0) {
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMb(server.pid!, 'VmRSS')), 5000);
    const [classifyLoad, submitLoad] = await Promise.all([
      load(classifyUrl(ours), { rate: soakClassifyRate, seconds: soakSeconds, connections: 8 }),
      load(submitUrl(ours), {
        rate: soakSubmitRate,
        seconds: soakSeconds,
        connections: 8,
        setupBody: submitBodies('soak'),
      }),
    ]);
    clearInterval(sampler);
    soak = {
      seconds: soakSeconds,
      classify: classifyLoad,
      submit: submitLoad,
      rssStartMb: samples[0],
      rssMaxMb: Math.max(...samples),
      rssEndMb: samples.at(-1),
      rssEveryMinuteMb: samples.filter((_, i) => i % 12 === 0),
      atEnd: await memoryFromMetrics(`http://127.0.0.1:${ours}`),
    };
  }
  console.log(
    JSON.stringify({
      bench: 'serve',
      durationSeconds: duration,
      connections,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      classify: { ...oursResult, peakRssMb: peakAfterBench },
      ceiling: ceilingResult,
      ...(peerResult ? { peer: { ...peerResult, peakRssMb: rssMb(python!.pid!) } } : {}),
      ...(atPeerRate ? { classifyAtPeerRate: atPeerRate } : {}),
      ...(submit ? { submit } : {}),
      ...(classifyBaseline ? { classifyBaseline } : {}),
      ...(submitBaseline ? { submitBaseline } : {}),
      ...(soak ? { soak } : {}),
      memory: await memoryFromMetrics(`http://127.0.0.1:${ours}`),
      ratios: {
        classifyOverCeiling: Number(
          (oursResult.requestsPerSecond / ceilingResult.requestsPerSecond).toFixed(3),
        ),
        classifyCpuOverCeilingCpu: Number(
          (oursResult.cpuMicrosPerRequest! / ceilingResult.cpuMicrosPerRequest!).toFixed(2),
        ),
        ...(peerResult
          ? {
              classifyOverPeer: Number(
                (oursResult.requestsPerSecond / peerResult.requestsPerSecond).toFixed(2),
              ),
            }
          : {}),
        ...(classifyBaseline
          ? {
              baselineClassifyOverCeiling: Number(
                (classifyBaseline.requestsPerSecond / ceilingResult.requestsPerSecond).toFixed(3),
              ),
            }
          : {}),
        ...(submit && submitBaseline
          ? {
              submitOverBaseline: Number(
                (submit.full.requestsPerSecond / submitBaseline.full.requestsPerSecond).toFixed(2),
              ),
            }
          : {}),
      },
      serverRuntime: runtime,
      node: process.version,
      cores: os.cpus().length,
    }),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await sleep(2000);
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
  await run.remove();
}
