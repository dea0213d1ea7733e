/** The test bed's MLflow tracking server: SQLite backend store, artifacts served by the server. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Artifacts } from './build.js';
import { MLFLOW_IN_CLUSTER_HOSTS } from './in-cluster.js';
import { freePorts, startDaemon, waitUntilReady } from './processes.js';
import type { Run } from './runs.js';

/** Starts `mlflow server` for `run`; returns its tracking URI. */
export async function startMlflow(run: Run, artifacts: Artifacts): Promise<string> {
  const [port] = await freePorts(1);
  const dir = path.join(run.dir, 'mlflow');
  await mkdir(dir, { recursive: true });
  const mlflow = startDaemon({
    name: 'mlflow',
    command: artifacts.mlflow,
    args: [
      'server',
      '--host=127.0.0.1',
      `--port=${port}`,
      '--workers=1',
      `--backend-store-uri=sqlite:///${path.join(dir, 'mlflow.db')}`,
      '--serve-artifacts',
      `--artifacts-destination=${path.join(dir, 'artifacts')}`,
    ],
    log: path.join(run.dir, 'mlflow.log'),
    cwd: dir,
    env: {
      ...process.env,
      MLFLOW_DISABLE_TELEMETRY: 'true',
      DO_NOT_TRACK: 'true',
      // Loopback as by default, and the name pods reach it by (in-cluster.ts).
      MLFLOW_SERVER_ALLOWED_HOSTS: [
        'localhost',
        'localhost:*',
        '127.0.0.1',
        '127.0.0.1:*',
        ...MLFLOW_IN_CLUSTER_HOSTS,
      ].join(','),
    },
  });
  await run.record(mlflow);
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    mlflow,
    async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok,
    120_000,
  );
  return url;
}
