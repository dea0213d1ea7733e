/**
 * The test bed: a real Kubernetes control plane with the upstream CRDs of Argo Workflows,
 * Istio, Prometheus Operator and Argo CD, an MLflow tracking server and a PostgreSQL, all on
 * loopback on free ports, built once into the cache and started per run.
 */
import { ensureArtifacts, progress } from './build.js';
import { startKubernetes } from './kubernetes.js';
import { startMlflow } from './mlflow.js';
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
 */
export async function up({ detach }: { detach: boolean }): Promise<TestbedEnv> {
  await reapAbandonedRuns();
  const [artifacts, s3Binary] = await Promise.all([ensureArtifacts(), ensureS3Binary()]);
  const started = Date.now();
  const run = await Run.create();
  try {
    progress(`starting servers in ${run.dir}`);
    const [kubeconfig, mlflowUrl, databaseUrl, s3] = await Promise.all([
      timed('Kubernetes', () => startKubernetes(run, artifacts)),
      timed('MLflow', () => startMlflow(run, artifacts)),
      timed('PostgreSQL', () => startPostgres(run)),
      timed('S3', () => startS3(run, s3Binary)),
    ]);
    const env = {
      kubeconfig,
      mlflowUrl,
      databaseUrl,
      runDir: run.dir,
      helm: artifacts.helm,
      promtool: artifacts.promtool,
      prometheus: artifacts.prometheus,
      s3,
    };
    await run.setEnv(env);
    if (detach) await run.detach();
    progress(`all servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return env;
  } catch (error) {
    await run.remove();
    throw error;
  }
}
