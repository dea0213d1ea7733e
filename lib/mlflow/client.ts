/**
 * A small typed client of the MLflow tracking server's REST API (2.0): experiments, runs,
 * metrics, the model registry with aliases, and artifacts served by the tracking server
 * (`mlflow server --serve-artifacts`). The one MLflow client of the platform: the pipeline
 * steps and the operator's canary analysis both use it.
 *
 * Transient failures (connection refused or reset, timeouts, 429, 5xx) are retried with
 * exponential backoff; an answer MLflow gives on purpose (4xx) is not.
 */
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MlflowClientOptions {
  trackingUri: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN) or basic credentials, when the server wants them. */
  token?: string;
  username?: string;
  password?: string;
  /** Attempts for a transient failure, the first included. */
  attempts?: number;
  /** Backoff before the second attempt; doubled each time. */
  backoffMs?: number;
  timeoutMs?: number;
}

/** An error MLflow answered with, or the last transient failure after the retries. */
export class MlflowError extends Error {
  override name = 'MlflowError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get notFound(): boolean {
    return this.errorCode === 'RESOURCE_DOES_NOT_EXIST' || this.status === 404;
  }

  get alreadyExists(): boolean {
    return this.errorCode === 'RESOURCE_ALREADY_EXISTS';
  }
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface RunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
}

export interface Run {
  info: RunInfo;
  data: {
    metrics?: Metric[];
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
  };
}

export interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  status?: string;
  aliases?: string[];
  tags?: { key: string; value: string }[];
}

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);

export class MlflowClient {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(options: MlflowClientOptions) {
    this.base = options.trackingUri.replace(/\/+$/, '');
    this.headers = { 'content-type': 'application/json' };
    if (options.token) this.headers.authorization = `Bearer ${options.token}`;
    else if (options.username) {
      const credentials = Buffer.from(`${options.username}:${options.password ?? ''}`).toString(
        'base64',
      );
      this.headers.authorization = `Basic ${credentials}`;
    }
    this.attempts = options.attempts ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** From MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): MlflowClient {
    const trackingUri = env.MLFLOW_TRACKING_URI;
    if (!trackingUri)
      throw new Error('MLFLOW_TRACKING_URI is not set: point it at the MLflow tracking server');
    return new MlflowClient({
      trackingUri,
      ...(env.MLFLOW_TRACKING_TOKEN ? { token: env.MLFLOW_TRACKING_TOKEN } : {}),
      ...(env.MLFLOW_TRACKING_USERNAME ? { username: env.MLFLOW_TRACKING_USERNAME } : {}),
      ...(env.MLFLOW_TRACKING_PASSWORD ? { password: env.MLFLOW_TRACKING_PASSWORD } : {}),
    });
  }

  private async request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
    pathAndQuery: string,
    body?: unknown,
    raw?: Uint8Array,
  ): Promise<Response> {
    const url = `${this.base}${pathAndQuery}`;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method,
          headers: raw
            ? { ...this.headers, 'content-type': 'application/octet-stream' }
            : this.headers,
          body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        if (!TRANSIENT_STATUS.has(response.status) || attempt === this.attempts) return response;
        lastError = new Error(`HTTP ${response.status}`);
        await response.body?.cancel();
      } catch (error) {
        lastError = error;
        if (attempt === this.attempts) break;
      }
      await sleep(this.backoffMs * 2 ** (attempt - 1));
    }
    throw new MlflowError(
      `MLflow ${method} ${pathAndQuery} failed after ${this.attempts} attempts: ${describe(lastError)}`,
      undefined,
      undefined,
      { cause: lastError },
    );
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    endpoint: string,
    body?: unknown,
  ): Promise<T> {
    const response = await this.request(method, `/api/2.0/mlflow/${endpoint}`, body);
    const text = await response.text();
    if (!response.ok) {
      let errorCode: string | undefined;
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error_code?: string; message?: string };
        errorCode = parsed.error_code;
        message = parsed.message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new MlflowError(
        `MLflow ${method} ${endpoint}: ${response.status} ${errorCode ?? ''} ${message}`.trim(),
        response.status,
        errorCode,
      );
    }
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  private get<T>(endpoint: string, query: Record<string, string | number>): Promise<T> {
    const search = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    );
    return this.call<T>('GET', `${endpoint}?${search.toString()}`);
  }

  // Experiments

  /** The experiment's id, creating it on first use (safe when two callers race). */
  async ensureExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    try {
      const { experiment } = await this.get<{ experiment: { experiment_id: string } }>(
        'experiments/get-by-name',
        { experiment_name: name },
      );
      return experiment.experiment_id;
    } catch (error) {
      if (!(error instanceof MlflowError && error.notFound)) throw error;
    }
    try {
      const created = await this.call<{ experiment_id: string }>('POST', 'experiments/create', {
        name,
        tags: toTags(tags),
      });
      return created.experiment_id;
    } catch (error) {
      if (!(error instanceof MlflowError && error.alreadyExists)) throw error;
      return this.ensureExperiment(name);
    }
  }

  // Runs

  async createRun(
    experimentId: string,
    runName: string,
    tags: Record<string, string> = {},
  ): Promise<RunInfo> {
    const { run } = await this.call<{ run: Run }>('POST', 'runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: Date.now(),
      tags: toTags(tags),
    });
    return run.info;
  }

  async getRun(runId: string): Promise<Run> {
    const { run } = await this.get<{ run: Run }>('runs/get', { run_id: runId });
    return run;
  }

  /** Runs of the given experiments matching an MLflow search filter, newest first. */
  async searchRuns(experimentIds: string[], filter: string, maxResults = 100): Promise<Run[]> {
    const { runs } = await this.call<{ runs?: Run[] }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter,
      max_results: maxResults,
      order_by: ['attributes.start_time DESC'],
    });
    return runs ?? [];
  }

  async finishRun(
    runId: string,
    status: 'FINISHED' | 'FAILED' | 'KILLED' = 'FINISHED',
  ): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: Date.now() });
  }

  /** Metrics, params and tags in batches within MLflow's limits (1000 metrics, 100 params). */
  async logBatch(
    runId: string,
    batch: {
      metrics?: { key: string; value: number; step?: number; timestamp?: number }[];
      params?: Record<string, string | number | boolean>;
      tags?: Record<string, string>;
    },
  ): Promise<void> {
    const now = Date.now();
    const metrics = (batch.metrics ?? []).map((m) => ({
      key: m.key,
      value: m.value,
      step: m.step ?? 0,
      timestamp: m.timestamp ?? now,
    }));
    const params = Object.entries(batch.params ?? {}).map(([key, value]) => ({
      key,
      value: String(value),
    }));
    const tags = toTags(batch.tags ?? {});
    const calls = Math.max(
      1,
      Math.ceil(metrics.length / 1000),
      Math.ceil(params.length / 100),
      Math.ceil(tags.length / 100),
    );
    for (let i = 0; i < calls; i++) {
      await this.call('POST', 'runs/log-batch', {
        run_id: runId,
        metrics: metrics.slice(i * 1000, (i + 1) * 1000),
        params: params.slice(i * 100, (i + 1) * 100),
        tags: tags.slice(i * 100, (i + 1) * 100),
      });
    }
  }

  async logMetric(runId: string, key: string, value: number, step = 0): Promise<void> {
    await this.call('POST', 'runs/log-metric', {
      run_id: runId,
      key,
      value,
      step,
      timestamp: Date.now(),
    });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async metricHistory(runId: string, key: string): Promise<Metric[]> {
    const { metrics } = await this.get<{ metrics?: Metric[] }>('metrics/get-history', {
      run_id: runId,
      metric_key: key,
    });
    return (metrics ?? []).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  /** The latest value of each metric of a run. */
  async latestMetrics(runId: string): Promise<Record<string, number>> {
    const run = await this.getRun(runId);
    return Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m.value]));
  }

  // Model registry

  async ensureRegisteredModel(name: string, description?: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/create', {
        name,
        ...(description ? { description } : {}),
      });
    } catch (error) {
      if (!(error instanceof MlflowError && error.alreadyExists)) throw error;
    }
  }

  async createModelVersion(
    name: string,
    source: string,
    runId: string,
    tags: Record<string, string> = {},
  ): Promise<ModelVersion> {
    const { model_version } = await this.call<{ model_version: ModelVersion }>(
      'POST',
      'model-versions/create',
      {
        name,
        source,
        run_id: runId,
        tags: toTags(tags),
      },
    );
    return model_version;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { model_version } = await this.get<{ model_version: ModelVersion }>(
      'model-versions/get',
      {
        name,
        version,
      },
    );
    return model_version;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias });
  }

  /** The version an alias points at, or undefined when the alias (or model) does not exist. */
  async versionByAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    try {
      const { model_version } = await this.get<{ model_version: ModelVersion }>(
        'registered-models/alias',
        {
          name,
          alias,
        },
      );
      return model_version;
    } catch (error) {
      if (
        error instanceof MlflowError &&
        (error.notFound || error.errorCode === 'INVALID_PARAMETER_VALUE')
      ) {
        return undefined;
      }
      throw error;
    }
  }

  // Artifacts (proxied by the tracking server)

  /** `<experiment>/<run>/artifacts/<relative>` for a run's `mlflow-artifacts:/…` location. */
  private artifactPath(artifactUri: string, relative: string): string {
    const prefix = 'mlflow-artifacts:/';
    if (!artifactUri.startsWith(prefix)) {
      throw new Error(
        `artifact location ${artifactUri} is not served by the tracking server (expected ${prefix}…); start it with --serve-artifacts`,
      );
    }
    const root = artifactUri.slice(prefix.length).replace(/^\/+/, '');
    return [root, relative].filter(Boolean).join('/');
  }

  private artifactUrl(artifactUri: string, relative: string): string {
    const encoded = this.artifactPath(artifactUri, relative)
      .split('/')
      .map(encodeURIComponent)
      .join('/');
    return `/api/2.0/mlflow-artifacts/artifacts/${encoded}`;
  }

  async uploadArtifact(artifactUri: string, relative: string, content: Uint8Array): Promise<void> {
    const response = await this.request(
      'PUT',
      this.artifactUrl(artifactUri, relative),
      undefined,
      content,
    );
    if (!response.ok) {
      throw new MlflowError(
        `upload of artifact ${relative}: ${response.status} ${await response.text()}`,
        response.status,
        undefined,
      );
    }
    await response.body?.cancel();
  }

  /** Uploads every file under `dir` to `<artifactUri>/<prefix>/…`. */
  async uploadDirectory(artifactUri: string, prefix: string, dir: string): Promise<string[]> {
    const uploaded: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const relative = [prefix, path.relative(dir, full).split(path.sep).join('/')]
        .filter(Boolean)
        .join('/');
      await this.uploadArtifact(artifactUri, relative, await readFile(full));
      uploaded.push(relative);
    }
    return uploaded;
  }

  async downloadArtifact(artifactUri: string, relative: string): Promise<Uint8Array> {
    const response = await this.request('GET', this.artifactUrl(artifactUri, relative));
    if (!response.ok) {
      throw new MlflowError(
        `download of artifact ${relative}: ${response.status} ${await response.text()}`,
        response.status,
        undefined,
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async listArtifacts(
    artifactUri: string,
    relative = '',
  ): Promise<{ path: string; is_dir: boolean }[]> {
    const query = encodeURIComponent(this.artifactPath(artifactUri, relative));
    const response = await this.request('GET', `/api/2.0/mlflow-artifacts/artifacts?path=${query}`);
    const body = (await response.json()) as { files?: { path: string; is_dir: boolean }[] };
    if (!response.ok)
      throw new MlflowError(
        `list of artifacts ${relative}: ${response.status}`,
        response.status,
        undefined,
      );
    return body.files ?? [];
  }

  /** Downloads the artifact folder `relative` of a run into `dir`. */
  async downloadDirectory(artifactUri: string, relative: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const file of await this.listArtifacts(artifactUri, relative)) {
      const name = path.basename(file.path);
      const child = relative ? `${relative}/${name}` : name;
      if (file.is_dir) await this.downloadDirectory(artifactUri, child, path.join(dir, name));
      else await writeFile(path.join(dir, name), await this.downloadArtifact(artifactUri, child));
    }
  }
}

function toTags(tags: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
