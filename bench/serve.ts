/**
 * Serving benchmark (`npm run bench:serve`), all on loopback with autocannon and the same client
 * settings for every target, one run:
 * - our `/api/v1/inquiries/classify` (requests/s, p50, p99, peak RSS),
 * - the ceiling: a bare node:http server answering a fixed JSON body,
 * - the peer: the same bundle behind FastAPI + uvicorn (one worker) + tokenizers + onnxruntime,
 * - our classify again at the peer's saturation rate (p99 there),
 * - our `/api/v1/inquiries/submit` with PostgreSQL writes (the test bed's server).
 * Prints one JSON line; figures go to bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createLogger } from '../lib/logger.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import { freePorts } from '../scripts/testbed/processes.js';
import { stopRun, up } from '../scripts/testbed/testbed.js';
import { cacheRoot } from '../scripts/testbed/versions.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const duration = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const logger = createLogger('bench', 'warn');
const body = JSON.stringify(
  'Hello, since this morning I cannot access my dashboard and the export fails with error 503. Please help asap.',
);

async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not become ready`);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function load(url: string, options: { rate?: number; setupBody?: () => string } = {}) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration,
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
  };
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const venv = path.join(cacheRoot(), 'bench', 'peer-venv');
if (!existsSync(path.join(venv, 'bin', 'uvicorn'))) {
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

const bundle = await ensureDefaultBundle(cacheRoot(), logger);
const env = await up({ detach: false });
const [ours, ceiling, peer] = (await freePorts(3)) as [number, number, number];
const children: ChildProcess[] = [];
try {
  const server = start(process.execPath, ['--import', 'tsx', 'inference-server/src/main.ts'], {
    PORT: String(ours),
    MODEL_DIR: bundle,
    DATABASE_URL: env.databaseUrl,
    LOG_LEVEL: 'warn',
  });
  const bare = start(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"category":{"label":"technical_support","confidence":0.93},"model_version":"fixed"}')})}).listen(${ceiling},'127.0.0.1')`,
    ],
    {},
  );
  const python = start(
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
  );
  children.push(server, bare, python);
  await Promise.all([
    waitFor(`http://127.0.0.1:${ours}/readyz`),
    waitFor(`http://127.0.0.1:${ceiling}/`).catch(() => undefined),
    sleep(3000),
  ]);
  const classifyUrl = (port: number) => `http://127.0.0.1:${port}/api/v1/inquiries/classify`;
  await load(classifyUrl(ours)); // warm-up: JIT, onnxruntime arenas
  const oursResult = await load(classifyUrl(ours));
  const ceilingResult = await load(`http://127.0.0.1:${ceiling}/`);
  const peerResult = await load(classifyUrl(peer));
  const atPeerRate = await load(classifyUrl(ours), {
    rate: Math.max(1, peerResult.requestsPerSecond),
  });
  let counter = 0;
  const submit = await load(`http://127.0.0.1:${ours}/api/v1/inquiries/submit`, {
    setupBody: () =>
      JSON.stringify({
        subject: `Invoice ${++counter}`,
        body: `Invoice INV-${counter} was charged twice, please refund.`,
        sender_email: `c${counter}@example.com`,
      }),
  });
  console.log(
    JSON.stringify({
      bench: 'serve',
      durationSeconds: duration,
      connections,
      classify: { ...oursResult, peakRssMb: Math.round(peakRssMb(server.pid!)) },
      ceiling: ceilingResult,
      peer: { ...peerResult, peakRssMb: Math.round(peakRssMb(python.pid!)) },
      classifyAtPeerRate: atPeerRate,
      submit,
      ratios: {
        classifyOverCeiling: Number(
          (oursResult.requestsPerSecond / ceilingResult.requestsPerSecond).toFixed(3),
        ),
        classifyOverPeer: Number(
          (oursResult.requestsPerSecond / peerResult.requestsPerSecond).toFixed(2),
        ),
      },
      node: process.version,
      cores: os.cpus().length,
    }),
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await sleep(2000);
  await stopRun(env.runDir);
}
