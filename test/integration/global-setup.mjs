// Starts the test bed once per jest run and hands its addresses to the tests through the
// environment (workers inherit it): TESTBED_KUBECONFIG, TESTBED_MLFLOW_URL, TESTBED_DATABASE_URL,
// TESTBED_HELM, TESTBED_PROMTOOL, TESTBED_PROMETHEUS, TESTBED_ISTIOCTL, TESTBED_S3 (URL and
// credentials, JSON),
// TESTBED_WITH_NODE (1 when a node runs pods), TESTBED_DIR (the run's directory, with the API
// server's audit log) and with a node TESTBED_IMAGES (the platform's images on it, JSON) and
// TESTBED_IN_CLUSTER (the servers' URLs from pods, JSON).
// Plain JS loading the TypeScript test bed through tsx: jest does not apply its module mapping
// to globalSetup, so the test bed's NodeNext imports (./x.js) would not resolve otherwise.
// TESTBED_ATTACH=1: use the test bed `npm run testbed -- up` left running instead (npm run demo),
// and leave it running at the end (no TESTBED_RUN_DIR for the teardown to stop).
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { currentRun, up } = await tsImport('../../scripts/testbed/testbed.ts', import.meta.url);
  const attach = process.env.TESTBED_ATTACH === '1';
  const env = attach ? await currentRun() : await up({ detach: false });
  if (!env) throw new Error('TESTBED_ATTACH=1 but no test bed runs: npm run testbed -- up');
  if (!attach) process.env.TESTBED_RUN_DIR = env.runDir;
  process.env.TESTBED_DIR = env.runDir;
  process.env.TESTBED_KUBECONFIG = env.kubeconfig;
  process.env.TESTBED_MLFLOW_URL = env.mlflowUrl;
  process.env.TESTBED_DATABASE_URL = env.databaseUrl;
  process.env.TESTBED_HELM = env.helm;
  process.env.TESTBED_PROMTOOL = env.promtool;
  process.env.TESTBED_PROMETHEUS = env.prometheus;
  // A test bed left running (TESTBED_ATTACH) by an older checkout has no istioctl.
  if (env.istioctl) process.env.TESTBED_ISTIOCTL = env.istioctl;
  process.env.TESTBED_S3 = JSON.stringify(env.s3);
  process.env.TESTBED_WITH_NODE = env.node ? '1' : '0';
  if (env.platformImages) process.env.TESTBED_IMAGES = JSON.stringify(env.platformImages);
  if (env.inCluster) process.env.TESTBED_IN_CLUSTER = JSON.stringify(env.inCluster);
}
