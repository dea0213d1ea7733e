/**
 * The inference server as a process (`inference-server/src/main.ts`) against a PostgreSQL of its
 * own, under a concurrent submit load: the database killed with SIGKILL, its sessions terminated,
 * a fast shutdown — the process never exits, no acknowledged inquiry is lost, nothing is stored
 * for a request that got an error; then SIGTERM under load — no request reset, exit code 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { inquiryText } from '../../lib/model/runtime.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { startPostgres, startPostgresServer } from '../../scripts/testbed/postgres.js';
import type { Daemon } from '../../scripts/testbed/processes.js';
import { Run } from '../../scripts/testbed/runs.js';
import {
  postgresDaemon,
  ROOT,
  signalAndWait,
  startServer,
  storedTokens,
  submit,
  submitLoad,
  type Outcome,
  type ServerProcess,
} from '../server-process.js';

const APP_NAME = 'inquiry-server';

async function terminateSessions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Chosen first, then terminated: in one statement the planner may call
    // pg_terminate_backend before it filters by application.
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [APP_NAME],
    );
    await client.query('SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p', [
      rows.map((row) => row.pid),
    ]);
    return rows.length;
  } finally {
    await client.end();
  }
}

describe('inference server process: database faults and SIGTERM', () => {
  let dir: string;
  let run: Run;
  let databaseUrl: string;
  let dataDir: string;
  let port: number;
  let daemon: Daemon;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'server-faults-'));
    const data = generateInquiries({ n: 600, seed: 3 }).map((g) => ({
      text: inquiryText(g),
      labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
    }));
    const bundle = path.join(dir, 'bundle');
    await writeBundle(
      bundle,
      trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, seed: 3, dim: 16, buckets: 4096 }),
    );
    run = await Run.create();
    databaseUrl = await startPostgres(run);
    port = Number(new URL(databaseUrl).port);
    dataDir = path.join(run.dir, 'postgres');
    daemon = await postgresDaemon(run);
    server = await startServer({
      DATABASE_URL: databaseUrl,
      MODEL_DIR: bundle,
      ROUTING_POLICY_FILE: path.join(ROOT, 'config/routing_rules.yaml'),
      SHUTDOWN_GRACE_MS: '15000',
    });
  });

  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await run?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  const restartDatabase = async (): Promise<void> => {
    daemon = (await startPostgresServer(run, dataDir, port)).daemon;
  };

  /** Waits for the first 201 after the database is back (the server reconnects by itself). */
  const recovered = async (label: string): Promise<void> => {
    const deadline = Date.now() + 60_000;
    for (let i = 0; ; i++) {
      if ((await submit(server.url, `recover-${label}-${i}`)).status === 201) return;
      if (Date.now() > deadline)
        throw new Error(`no 201 within 60 s after ${label}:\n${server.output()}`);
      await sleep(100);
    }
  };

  it('survives SIGKILL, terminated sessions and a fast shutdown of PostgreSQL under load', async () => {
    const load = submitLoad(server.url, 6, 'f');
    await sleep(1500);

    await signalAndWait(daemon, 'SIGKILL', true);
    await sleep(1500);
    await restartDatabase();
    await recovered('kill');
    await sleep(1000);

    for (let round = 0; round < 3; round++) {
      await terminateSessions(databaseUrl);
      await sleep(400);
    }
    await recovered('terminate');

    // SIGINT to the postmaster is PostgreSQL's fast shutdown.
    await signalAndWait(daemon, 'SIGINT', false);
    await sleep(1500);
    await restartDatabase();
    await recovered('fast-shutdown');
    await sleep(1000);
    await load.stop();

    expect(server.child.exitCode).toBeNull();
    const { outcomes } = load;
    const byStatus = Map.groupBy(outcomes, (o) => o.status);
    expect([...byStatus.keys()].sort()).toEqual([201, 503]);
    expect(byStatus.get(503)!.every((o) => Number(o.retryAfter) > 0)).toBe(true);

    const acknowledged = new Set(byStatus.get(201)!.map((o) => o.token));
    const refused = byStatus.get(503)!.map((o) => o.token);
    const stored = new Set(await storedTokens(databaseUrl, 'f'));
    expect([...acknowledged].filter((token) => !stored.has(token))).toEqual([]);
    expect(refused.filter((token) => stored.has(token))).toEqual([]);

    // Each refused request, retried with its key, is stored now, exactly once.
    const retried: Outcome[] = [];
    for (let i = 0; i < refused.length; i += 6)
      retried.push(
        ...(await Promise.all(refused.slice(i, i + 6).map((token) => submit(server.url, token)))),
      );
    expect(retried.filter((o) => o.status !== 201)).toEqual([]);
    const storedAfter = await storedTokens(databaseUrl, 'f');
    expect(storedAfter.length).toBe(new Set(storedAfter).size);
    expect(storedAfter.length).toBe(acknowledged.size + refused.length);
  });

  it('on SIGTERM under load finishes every accepted request, resets none, and exits 0', async () => {
    const load = submitLoad(server.url, 6, 't');
    await sleep(800);
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    await load.stop();

    expect(exit).toEqual({ code: 0, signal: null });
    const failures = load.outcomes.filter((o) => o.status !== 201);
    // After the listener closes, a new connection is refused; an accepted one is never reset.
    expect(failures.filter((o) => o.error !== 'ECONNREFUSED')).toEqual([]);
    expect(load.outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(0);
    const stored = new Set(await storedTokens(databaseUrl, 't'));
    const acknowledged = load.outcomes.filter((o) => o.status === 201).map((o) => o.token);
    expect(acknowledged.filter((token) => !stored.has(token))).toEqual([]);
    expect(server.output()).toMatch(/shutting down/);
  });
});
