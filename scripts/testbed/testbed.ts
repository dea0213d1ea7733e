/**
 * The test bed: a real Kubernetes control plane with the upstream CRDs of Argo Workflows,
 * Istio, Prometheus Operator and Argo CD, a node that runs pods (when root), an MLflow tracking
 * server and a PostgreSQL, all on loopback on free ports, built once into the cache and started
 * per run.
 */
import { ensureArtifacts, progress } from './build.js';
import { installChartClusterObjects, startKubernetes } from './kubernetes.js';
import { startMlflow } from './mlflow.js';
import { exposeToPods } from './in-cluster.js';
import { nodeHolder } from './node.js';
import { nodeWanted, prepareNode, startNodeFor } from './node-hook.js';
import { startPostgres } from './postgres.js';
import { ensureS3Binary, startS3 } from './s3.js';
import { Run, reapAbandonedRuns, type TestbedEnv } from './runs.js';

export { currentRun, stopRun, type TestbedEnv } from './runs.js';

async function timed<T>(what: string, start: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await start();
  progress(`${what} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/**
 * Builds what is missing, then starts every server. With `detach`, the servers keep running
 * after this process exits (the CLI); otherwise the next run reaps them if this one dies.
 * A failed start stops everything this call started before the error is thrown.
 */
export async function up({ detach }: { detach: boolean }): Promise<TestbedEnv> {
  // This checkout's abandoned runs, and the one holding the node if its owner died.
  const holder = await nodeHolder();
  await reapAbandonedRuns(holder ? [holder] : []);
  const withNode = nodeWanted();
  const [artifacts, s3Binary, node] = await Promise.all([
    ensureArtifacts(),
    ensureS3Binary(),
    withNode ? prepareNode() : undefined,
  ]);
  const started = Date.now();
  const run = await Run.create();
  try {
    progress(`starting servers in ${run.dir}`);
    const starts = [
      timed('Kubernetes', async () => {
        const kubeconfig = await startKubernetes(run, artifacts);
        await installChartClusterObjects(kubeconfig);
        const network = node
          ? await timed('node', () => startNodeFor(run, kubeconfig, node.artifacts))
          : undefined;
        return { kubeconfig, network };
      }),
      timed('MLflow', () => startMlflow(run, artifacts)),
      timed('PostgreSQL', () => startPostgres(run)),
      timed('S3', () => startS3(run, s3Binary)),
    ] as const;
    // Every start settles before a failure is reported, so the cleanup below stops them all.
    for (const result of await Promise.allSettled(starts))
      if (result.status === 'rejected') throw result.reason;
    const [{ kubeconfig, network }, mlflowUrl, databaseUrl, s3] = await Promise.all(starts);
    const inCluster = network
      ? await exposeToPods(run, kubeconfig, network.gateway, {
          databaseUrl,
          mlflowUrl,
          s3Url: s3.url,
        })
      : undefined;
    const env: TestbedEnv = {
      kubeconfig,
      mlflowUrl,
      databaseUrl,
      runDir: run.dir,
      helm: artifacts.helm,
      promtool: artifacts.promtool,
      prometheus: artifacts.prometheus,
      istioctl: artifacts.istioctl,
      s3,
      node: node !== undefined,
      ...(node && inCluster ? { platformImages: node.platformImages, inCluster } : {}),
    };
    await run.setEnv(env);
    if (detach) await run.detach();
    progress(`all servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return env;
  } catch (error) {
    await run.remove().catch((cleanup: unknown) => {
      progress(`cleaning up after the failed start also failed: ${(cleanup as Error).message}`);
    });
    throw error;
  }
}
