/** Proves the test bed's MLflow tracking server and PostgreSQL are real and reachable. */
import pg from 'pg';
import { testbed } from './testbed.js';

async function mlflow<T>(method: 'GET' | 'POST', endpoint: string, body?: unknown): Promise<T> {
  const url = new URL(`/api/2.0/mlflow/${endpoint}`, testbed.mlflowUrl);
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`MLflow ${method} ${endpoint}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

describe('test bed MLflow', () => {
  it('creates an experiment and a run, logs a metric at two steps and reads its history', async () => {
    const { experiment_id } = await mlflow<{ experiment_id: string }>(
      'POST',
      'experiments/create',
      {
        name: `smoke-${Date.now()}`,
      },
    );
    const { run } = await mlflow<{ run: { info: { run_id: string } } }>('POST', 'runs/create', {
      experiment_id,
      start_time: Date.now(),
    });
    const runId = run.info.run_id;
    for (const [step, value] of [
      [0, 0.61],
      [1, 0.83],
    ] as const) {
      await mlflow('POST', 'runs/log-metric', {
        run_id: runId,
        key: 'val_accuracy',
        value,
        timestamp: Date.now(),
        step,
      });
    }
    const history = await mlflow<{ metrics: { step: number; value: number }[] }>(
      'GET',
      `metrics/get-history?run_id=${runId}&metric_key=val_accuracy`,
    );
    const points = history.metrics.map(({ step, value }) => ({ step, value }));
    expect(points.sort((a, b) => a.step - b.step)).toEqual([
      { step: 0, value: 0.61 },
      { step: 1, value: 0.83 },
    ]);
  });
});

describe('test bed PostgreSQL', () => {
  it('creates a table, inserts and selects', async () => {
    const client = new pg.Client({ connectionString: testbed.databaseUrl });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE smoke_inquiries (id serial PRIMARY KEY, subject text NOT NULL)',
      );
      await client.query('INSERT INTO smoke_inquiries (subject) VALUES ($1), ($2)', [
        'Cannot access my dashboard',
        'Invoice is wrong',
      ]);
      const { rows } = await client.query<{ subject: string }>(
        'SELECT subject FROM smoke_inquiries ORDER BY id',
      );
      expect(rows.map((row) => row.subject)).toEqual([
        'Cannot access my dashboard',
        'Invoice is wrong',
      ]);
      const { rows: version } = await client.query<{ server_version_num: string }>(
        'SHOW server_version_num',
      );
      expect(Number(version[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
    } finally {
      await client.end();
    }
  });
});
