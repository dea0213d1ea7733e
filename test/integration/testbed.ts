/** The test bed's addresses as set by global-setup; a clear error when run without it. */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import pg from 'pg';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MlflowClient } from '../../lib/mlflow/client.js';
import { inquiryText } from '../../lib/model/runtime.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import type { InClusterEnv } from '../../scripts/testbed/in-cluster.js';
import { installCrds } from '../../scripts/testbed/kubernetes.js';
import type { PlatformImageNames } from '../../scripts/testbed/platform-images.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration tests through jest (npm test), whose globalSetup starts the test bed`,
    );
  }
  return value;
}

export const testbed = {
  get kubeconfig(): string {
    return required('TESTBED_KUBECONFIG');
  },
  get mlflowUrl(): string {
    return required('TESTBED_MLFLOW_URL');
  },
  get databaseUrl(): string {
    return required('TESTBED_DATABASE_URL');
  },
  /** The `helm` binary the test bed built (chart checks). */
  get helm(): string {
    return required('TESTBED_HELM');
  },
  /** The `promtool` binary the test bed built (alert-rule checks). */
  get promtool(): string {
    return required('TESTBED_PROMTOOL');
  },
  /** The `prometheus` server binary the test bed built (started by the tests that need it). */
  get prometheus(): string {
    return required('TESTBED_PROMETHEUS');
  },
  /** The `istioctl` binary the test bed built (`istioctl analyze` of the Istio objects). */
  get istioctl(): string {
    return required('TESTBED_ISTIOCTL');
  },
  /** The S3-compatible server (Versity S3 Gateway) and its credentials. */
  get s3(): { url: string; accessKeyId: string; secretAccessKey: string } {
    return JSON.parse(required('TESTBED_S3')) as {
      url: string;
      accessKeyId: string;
      secretAccessKey: string;
    };
  },
  /** With a node: the platform's images on it (operator, inference-server, pipelines). */
  get images(): PlatformImageNames | undefined {
    const value = process.env.TESTBED_IMAGES;
    return value ? (JSON.parse(value) as PlatformImageNames) : undefined;
  },
  /** With a node: PostgreSQL's, MLflow's and S3's URLs as pods reach them. */
  get inCluster(): InClusterEnv | undefined {
    const value = process.env.TESTBED_IN_CLUSTER;
    return value ? (JSON.parse(value) as InClusterEnv) : undefined;
  },
  kubeConfig(): k8s.KubeConfig {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(this.kubeconfig);
    return kc;
  },
};

/**
 * A fresh, empty database on the test bed's PostgreSQL, so test files never see each other's
 * rows. `drop` removes it (and ends any connection still open to it).
 */
export async function createTestDatabase(
  prefix: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: testbed.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(testbed.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: testbed.databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Applies the platform's CRDs (crds/*.yaml) and waits until each is served. */
export async function installPlatformCrds(): Promise<void> {
  const { readdir } = await import('node:fs/promises');
  const dir = fileURLToPath(new URL('../../crds/', import.meta.url));
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(dir, f));
  await installCrds(testbed.kubeconfig, files);
}

/** `train` flags for a small model that trains in seconds: the tests need a bundle, not quality. */
export const SMALL_MODEL_FLAGS = ['--dim', '16', '--buckets', '4096', '--vocab-size', '4000'];

/** A small model (as SMALL_MODEL_FLAGS) trained on 3,000 generated inquiries, written to `dir`. */
export async function trainSmallBundle(dir: string, seed: number): Promise<string> {
  const data = generateInquiries({ n: 3000, seed }).map((g) => ({
    text: inquiryText(g),
    labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
  }));
  await writeBundle(
    dir,
    trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, seed, dim: 16, buckets: 4096, vocabSize: 4000 }),
  );
  return dir;
}

/**
 * Deletes test namespaces and waits until they are gone. On the node, what a suite leaves behind
 * runs on: Deployments whose pods hold CPU requests, CronWorkflows that fire on the hour. The
 * next suite's pods then cannot be scheduled. Call it before stopping the operator that
 * finalizes the namespace's ModelVersions; a namespace that will not go is reported with what
 * its status says remains. `operatorStopped`: no operator runs for the namespace any more, so
 * its ModelVersions' finalizers are released as a user would release them.
 */
export async function deleteNamespaces(
  kc: k8s.KubeConfig,
  names: readonly string[],
  options: { operatorStopped?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const { operatorStopped = false, timeoutMs = 180_000 } = options;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  await Promise.all(
    names.map(async (name) => {
      await core.deleteNamespace({ name }).catch((error: unknown) => {
        if ((error as k8s.ApiException<unknown>).code !== 404) throw error;
      });
      if (operatorStopped) {
        // What docs/deploy.md tells a user whose operator is gone: release the finalizers.
        const group = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: name };
        const list = (await custom
          .listNamespacedCustomObject({ ...group, plural: 'modelversions' })
          .catch(() => ({ items: [] }))) as { items: k8s.KubernetesObject[] };
        for (const item of list.items)
          await custom
            .patchNamespacedCustomObject(
              {
                ...group,
                plural: 'modelversions',
                name: item.metadata!.name!,
                body: { metadata: { finalizers: null } },
              },
              k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
            )
            .catch(() => {});
      }
      const gone = async () =>
        core.readNamespace({ name }).then(
          () => undefined,
          (error: unknown) => {
            if ((error as k8s.ApiException<unknown>).code === 404) return true;
            throw error;
          },
        );
      await eventually(`namespace ${name} deleted`, gone, timeoutMs).catch(
        async (error: unknown) => {
          // What its status says remains (content, finalizers).
          const left = await core.readNamespace({ name }).catch(() => undefined);
          const why = (left?.status?.conditions ?? [])
            .filter((c) => c.status === 'True')
            .map((c) => `${c.type}: ${c.message}`);
          throw new Error(`${(error as Error).message}: ${why.join('; ')}`, { cause: error });
        },
      );
    }),
  );
}

/**
 * Runs a pod of `spec` (restartPolicy Never) in `namespace` to its end: its phase (Succeeded or
 * Failed) and its log.
 */
export async function runPodToEnd(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  spec: k8s.V1PodSpec,
  timeoutMs = 120_000,
): Promise<{ phase: string; log: string }> {
  await core.createNamespacedPod({
    namespace,
    body: { metadata: { name }, spec: { ...spec, restartPolicy: 'Never' } },
  });
  const phase = await eventually(
    `pod ${name} to finish`,
    async () => {
      const pod = await core.readNamespacedPod({ name, namespace });
      return ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')
        ? pod.status!.phase!
        : undefined;
    },
    timeoutMs,
  );
  return { phase, log: await core.readNamespacedPodLog({ name, namespace }) };
}

/** Polls `probe` until it returns a value (errors count as "not yet"); fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A registered MLflow model version whose run carries `online.accuracy` (as given) over
 * `samples` `online.samples`: what the canary's mlflow analysis reads. Returns the version.
 */
export async function registerModelWithAccuracy(
  mlflow: MlflowClient,
  modelName: string,
  accuracy: number,
  samples = 500,
): Promise<string> {
  const experiment = await mlflow.ensureExperiment(`operator-test-${modelName}`);
  const run = await mlflow.createRun(experiment, 'train');
  await mlflow.logBatch(run.run_id, {
    metrics: [
      { key: 'online.accuracy', value: accuracy },
      { key: 'online.samples', value: samples },
    ],
  });
  await mlflow.ensureRegisteredModel(modelName);
  return (await mlflow.createModelVersion(modelName, `${run.artifact_uri}/bundle`, run.run_id))
    .version;
}
