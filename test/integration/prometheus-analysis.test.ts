/**
 * The prometheus analysis provider against a real Prometheus (built by the test bed from its Go
 * module): Prometheus scrapes a small exporter with per-subset accuracy, the provider queries
 * it, and the verdicts follow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { PrometheusProvider } from '../../operator/src/analysis/prometheus.js';
import { judgeMetric, type AnalysisMetric } from '../../operator/src/canary/index.js';
import { freePorts } from '../../scripts/testbed/processes.js';
import { eventually, testbed } from './testbed.js';

describe('prometheus analysis provider', () => {
  const registry = new Registry();
  const accuracy = new Gauge({
    name: 'inquiry_test_online_accuracy',
    help: 'Per-subset online accuracy, for the test.',
    labelNames: ['subset'],
    registers: [registry],
  });
  let exporter: Server;
  let prometheus: ChildProcess;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    accuracy.set({ subset: 'canary' }, 0.9);
    accuracy.set({ subset: 'stable' }, 0.95);
    exporter = createServer((_request, response) => {
      void registry.metrics().then((text) => {
        response.setHeader('Content-Type', registry.contentType);
        response.end(text);
      });
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const exporterPort = (exporter.address() as AddressInfo).port;
    const [port] = await freePorts(1);
    dir = await mkdtemp(path.join(tmpdir(), 'prometheus-'));
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: inference',
        `    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      testbed.prometheus,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    url = `http://127.0.0.1:${port}`;
    await eventually(
      'Prometheus to have scraped both subsets',
      async () => {
        const response = await fetch(
          `${url}/api/v1/query?query=${encodeURIComponent('count(inquiry_test_online_accuracy)')}`,
        ).catch(() => undefined);
        const body = (await response?.json()) as
          { data?: { result?: { value: [number, string] }[] } } | undefined;
        return body?.data?.result?.[0]?.value[1] === '2' ? true : undefined;
      },
      60_000,
    );
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await new Promise((resolve) => exporter?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const metric = (extra: Partial<AnalysisMetric>): AnalysisMetric => ({
    name: 'online-accuracy',
    provider: 'prometheus',
    query: 'max(inquiry_test_online_accuracy{subset="{{subset}}"})',
    ...extra,
  });
  const context = {
    trackingUri: 'http://mlflow.invalid',
    candidateRunId: 'run',
    stableRunId: undefined,
    subset: 'canary' as const,
  };

  it('reads the canary value and, for a degradation bound, the stable baseline', async () => {
    const provider = new PrometheusProvider(url);
    const observed = await provider.observe(metric({ min: 0.8, maxDegradation: 0.02 }), context);
    expect(observed).toEqual({ value: 0.9, baseline: 0.95 });
    const now = new Date();
    expect(judgeMetric(metric({ min: 0.8 }), observed, now).verdict).toBe('Pass');
    expect(judgeMetric(metric({ min: 0.8, maxDegradation: 0.02 }), observed, now)).toMatchObject({
      verdict: 'Fail',
      value: 0.9,
      baseline: 0.95,
    });
  });

  it('turns a bad query, an empty result and an unreachable server into clear errors', async () => {
    const provider = new PrometheusProvider(url);
    expect((await provider.observe(metric({ query: 'max(' }), context)).error).toMatch(
      /^Prometheus: .*parse error/,
    );
    expect(
      await provider.observe(metric({ query: 'inquiry_test_absent_metric' }), context),
    ).toEqual({ error: 'Prometheus returned no number for online-accuracy' });
    expect(
      (await new PrometheusProvider('http://127.0.0.1:1').observe(metric({}), context)).error,
    ).toMatch(/^Prometheus: /);
  });
});
