/**
 * A Prometheus server for tests (the binary the test bed builds from its Go module) and a thin
 * client of its HTTP API: start it with a configuration and rule files, wait for its targets,
 * query, read its targets, rules and alerts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { freePorts } from './processes.js';

export interface Series {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export interface Target {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  health: string;
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
}

export interface Alert {
  labels: Record<string, string>;
  /** The rule's annotations with the alert's labels and value filled in. */
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export class PrometheusApi {
  constructor(readonly url: string) {}

  private async get<T>(route: string, params: Record<string, string> = {}): Promise<T> {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(`${this.url}${route}${query ? `?${query}` : ''}`);
    const body = (await response.json().catch(() => ({}))) as {
      status?: string;
      data?: T;
      error?: string;
      errorType?: string;
    };
    if (!response.ok || body.status !== 'success') {
      throw new Error(
        `Prometheus ${route} ${JSON.stringify(params)}: ${response.status} ${body.errorType ?? ''} ${body.error ?? ''}`.trim(),
      );
    }
    return body.data as T;
  }

  /** An instant query at `time` (seconds), now by default. */
  async query(expr: string, time?: number): Promise<Series[]> {
    const data = await this.get<{ result: unknown }>('/api/v1/query', {
      query: expr,
      ...(time === undefined ? {} : { time: String(time) }),
    });
    return Array.isArray(data.result) ? (data.result as Series[]) : [];
  }

  /** A range query, times and step in seconds. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<Series[]> {
    const data = await this.get<{ result: Series[] }>('/api/v1/query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    });
    return data.result;
  }

  async targets(): Promise<{
    activeTargets: Target[];
    droppedTargets: { discoveredLabels: Record<string, string> }[];
  }> {
    return this.get('/api/v1/targets', { state: 'any' });
  }

  async rules(): Promise<RuleState[]> {
    const data = await this.get<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((group) => group.rules);
  }

  async alerts(): Promise<Alert[]> {
    return (await this.get<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  }
}

export interface PrometheusServer {
  api: PrometheusApi;
  /** The log Prometheus wrote so far (for a failure's message). */
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts `binary` on a free loopback port with `config` (a prometheus.yml as an object) and
 * `rules` (file name → rule file text, listed in rule_files), its data under `dir`; resolves
 * once it answers ready.
 */
export async function startPrometheus(
  binary: string,
  dir: string,
  config: Record<string, unknown>,
  rules: Record<string, string> = {},
): Promise<PrometheusServer> {
  await mkdir(dir, { recursive: true });
  const ruleFiles: string[] = [];
  for (const [name, text] of Object.entries(rules)) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    ruleFiles.push(file);
  }
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(
    configFile,
    toYaml({ ...config, ...(ruleFiles.length ? { rule_files: ruleFiles } : {}) }),
  );
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const api = new PrometheusApi(`http://127.0.0.1:${port}`);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`Prometheus exited at start (code ${child.exitCode}):\n${output}`);
    }
    const ready = await fetch(`${api.url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus was not ready in 60 s:\n${output}`);
    }
    await sleep(250);
  }
  return { api, output: () => output, stop };
}

/**
 * Waits until every scrape pool in `pools` has at least one target and all of them are up;
 * the targets' last errors are in the failure's message.
 */
export async function waitForTargetsUp(
  api: PrometheusApi,
  pools: string[],
  timeoutMs = 60_000,
): Promise<Target[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { activeTargets } = await api.targets();
    const targets = activeTargets.filter((t) => pools.includes(t.scrapePool));
    const missing = pools.filter((pool) => !targets.some((t) => t.scrapePool === pool));
    if (missing.length === 0 && targets.every((t) => t.health === 'up')) return targets;
    if (Date.now() > deadline) {
      const states = targets.map((t) => `${t.scrapeUrl} ${t.health} ${t.lastError}`);
      throw new Error(
        `Prometheus targets not up in ${timeoutMs / 1000} s: pools without a target: ${missing.join(', ') || 'none'}; ${states.join('; ')}`,
      );
    }
    await sleep(500);
  }
}
