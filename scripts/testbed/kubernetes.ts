/**
 * The test bed's Kubernetes control plane: etcd, kube-apiserver with RBAC, and
 * kube-controller-manager (its garbage collector makes owner references delete things).
 *
 * Installing the upstream CRDs takes the API server ~25 s on two cores, so it is done once per
 * set of versions: a snapshot (etcd data + the PKI it was made with) is kept in the cache and
 * each run starts from a copy of it, serving every CRD within a few seconds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { apply } from './addons.js';
import { progress, type Artifacts } from './build.js';
import { pkiIn, createPki, type Pki } from './pki.js';
import { freePorts, startDaemon, waitUntilReady, type Daemon } from './processes.js';
import { Run } from './runs.js';
import { ETCD_VERSION, KUBERNETES_VERSION, buildDir } from './versions.js';

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ['system:serviceaccounts']
  - level: None
`;

/** The API server's audit log (JSON lines; service-account requests only) of a run. */
export function auditLogPath(runDir: string): string {
  return path.join(runDir, 'kube-apiserver-audit.log');
}

/** The snapshot is remade after this long, well before its 30-day certificates expire. */
const SNAPSHOT_MAX_AGE_MS = 20 * 24 * 3600 * 1000;

interface ServedCrd {
  name: string;
  group: string;
  version: string;
  plural: string;
}

interface Snapshot {
  dir: string;
  crds: ServedCrd[];
}

interface Cluster {
  kubeconfig: string;
  controllerManager: Daemon;
}

function kubeconfigJson(pki: Pki, server: string, cert: string, key: string, user: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'testbed', cluster: { server, 'certificate-authority': pki.caCert } }],
    users: [{ name: user, user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: 'testbed', context: { cluster: 'testbed', user, namespace: 'default' } }],
    'current-context': 'testbed',
  });
}

function httpsOk(url: string, tls: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      url,
      { ...tls, rejectUnauthorized: tls.ca !== undefined, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

/** Starts etcd, kube-apiserver and kube-controller-manager on `etcdDir` with `pki`. */
async function startCluster(
  run: Run,
  artifacts: Artifacts,
  pki: Pki,
  etcdDir: string,
): Promise<Cluster> {
  const [etcdClient, etcdPeer, apiPort, kcmPort] = await freePorts(4);
  const etcd = startDaemon({
    name: 'etcd',
    command: artifacts.etcd,
    args: [
      '--name=testbed',
      `--data-dir=${etcdDir}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=testbed=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
    ],
    log: path.join(run.dir, 'etcd.log'),
  });
  await run.record(etcd);
  await waitUntilReady(etcd, () => httpOk(`http://127.0.0.1:${etcdClient}/health`), 30_000);

  // Requests of service accounts are audited (metadata only): the RBAC test reads which calls
  // the operator's service account made, to show its role is sufficient and nothing is unused.
  const auditPolicy = path.join(run.dir, 'audit-policy.yaml');
  await writeFile(auditPolicy, AUDIT_POLICY);
  const apiserver = startDaemon({
    name: 'kube-apiserver',
    command: artifacts.kubeApiserver,
    args: [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(run.dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--allow-privileged=false',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLogPath(run.dir)}`,
      '--audit-log-format=json',
      // No node runs here: nothing would serve the `kubernetes` Service's loopback endpoint.
      '--endpoint-reconciler-type=none',
    ],
    log: path.join(run.dir, 'kube-apiserver.log'),
  });
  await run.record(apiserver);
  const server = `https://127.0.0.1:${apiPort}`;
  const adminTls = {
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.adminCert),
    key: readFileSync(pki.adminKey),
  };
  await waitUntilReady(apiserver, () => httpsOk(`${server}/readyz`, adminTls), 90_000);

  const kubeconfig = path.join(run.dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigJson(pki, server, pki.adminCert, pki.adminKey, 'admin'));
  const kcmKubeconfig = path.join(run.dir, 'controller-manager.kubeconfig');
  await writeFile(
    kcmKubeconfig,
    kubeconfigJson(
      pki,
      server,
      pki.controllerManagerCert,
      pki.controllerManagerKey,
      'system:kube-controller-manager',
    ),
  );
  const controllerManager = startDaemon({
    name: 'kube-controller-manager',
    command: artifacts.kubeControllerManager,
    args: [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cert-dir=${path.join(run.dir, 'controller-manager-certs')}`,
    ],
    log: path.join(run.dir, 'kube-controller-manager.log'),
  });
  await run.record(controllerManager);
  // Its serving certificate is self-signed in --cert-dir: only liveness is probed here.
  await waitUntilReady(
    controllerManager,
    () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`, {}),
    60_000,
  );
  return { kubeconfig, controllerManager };
}

/**
 * Applies CRD files (server-side apply, so applying again is harmless) and waits until each is
 * Established and served. The test bed installs the upstream CRDs with it, tests the platform's.
 */
export async function installCrds(
  kubeconfig: string,
  files: readonly string[],
  timeoutMs = 60_000,
): Promise<ServedCrd[]> {
  const started = Date.now();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const install = async (file: string): Promise<ServedCrd[]> => {
    const served: ServedCrd[] = [];
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.contents === null) continue;
      // Through the client's own model, which keeps `x-kubernetes-*` schema keys on the wire.
      const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(doc.toString());
      await objects
        .patch(
          crd,
          undefined,
          undefined,
          'inquiry-testbed',
          true,
          k8s.PatchStrategy.ServerSideApply,
        )
        .catch((cause: unknown) => {
          throw new Error(`install CRD ${crd.metadata?.name} from ${path.basename(file)}`, {
            cause,
          });
        });
      const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0]!;
      served.push({
        name: crd.metadata!.name!,
        group: crd.spec.group,
        version: version.name,
        plural: crd.spec.names.plural,
      });
    }
    return served;
  };
  const crds = (await Promise.all(files.map(install))).flat();
  await waitForCrdsServed(kubeconfig, crds, timeoutMs);
  progress(`installed ${crds.length} CRDs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return crds;
}

/**
 * Waits until every CRD is Established (so discovery lists its kind) and a list of its
 * resource succeeds (so its handler is installed).
 */
async function waitForCrdsServed(
  kubeconfig: string,
  crds: ServedCrd[],
  timeoutMs: number,
): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const crdApi = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  const served = async ({ name, group, version, plural }: ServedCrd): Promise<boolean> => {
    const crd = await crdApi.readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.some(
      (condition) => condition.type === 'Established' && condition.status === 'True',
    );
    if (!established) return false;
    await custom.listClusterCustomObject({ group, version, plural, limit: 1 });
    return true;
  };
  await Promise.all(
    crds.map(async (crd) => {
      let lastError: unknown;
      while (!(await served(crd).catch((error: unknown) => ((lastError = error), false)))) {
        if (Date.now() > deadline) {
          throw new Error(`CRD ${crd.name} is not served after ${timeoutMs / 1000} s`, {
            cause: lastError,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
}

function snapshotKey(artifacts: Artifacts): string {
  const hash = createHash('sha256');
  hash.update(`${KUBERNETES_VERSION} ${ETCD_VERSION}\n`);
  for (const file of artifacts.crdFiles) hash.update(`${path.basename(file)}\n`);
  return hash.digest('hex').slice(0, 12);
}

/** The cached cluster snapshot with every upstream CRD installed, made on first use. */
async function ensureSnapshot(artifacts: Artifacts): Promise<Snapshot> {
  const dir = path.join(buildDir(), `cluster-snapshot-${snapshotKey(artifacts)}`);
  const manifest = path.join(dir, 'snapshot.json');
  if (existsSync(manifest)) {
    const saved = JSON.parse(await readFile(manifest, 'utf8')) as {
      created: string;
      crds: ServedCrd[];
    };
    if (Date.now() - Date.parse(saved.created) < SNAPSHOT_MAX_AGE_MS)
      return { dir, crds: saved.crds };
  }
  progress(
    'preparing a cluster snapshot with the upstream CRDs installed (once; later runs copy it)',
  );
  const run = await Run.create();
  try {
    const pki = await createPki(path.join(run.dir, 'pki'));
    const cluster = await startCluster(run, artifacts, pki, path.join(run.dir, 'etcd'));
    // Once per set of versions, often while the machine is busy with the first builds.
    const crds = await installCrds(cluster.kubeconfig, artifacts.crdFiles, 300_000);
    await run.stopDaemons();
    const staging = `${dir}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    await cp(path.join(run.dir, 'pki'), path.join(staging, 'pki'), { recursive: true });
    await cp(path.join(run.dir, 'etcd'), path.join(staging, 'etcd'), { recursive: true });
    await writeFile(
      path.join(staging, 'snapshot.json'),
      JSON.stringify({ created: new Date().toISOString(), crds }, null, 2),
    );
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return { dir, crds };
  } finally {
    await run.remove();
  }
}

/** Starts the control plane for `run` from the snapshot; returns an admin kubeconfig path. */
export async function startKubernetes(run: Run, artifacts: Artifacts): Promise<string> {
  const snapshot = await ensureSnapshot(artifacts);
  await cp(path.join(snapshot.dir, 'pki'), path.join(run.dir, 'pki'), { recursive: true });
  await cp(path.join(snapshot.dir, 'etcd'), path.join(run.dir, 'etcd'), { recursive: true });
  const cluster = await startCluster(
    run,
    artifacts,
    pkiIn(path.join(run.dir, 'pki')),
    path.join(run.dir, 'etcd'),
  );
  await waitForCrdsServed(cluster.kubeconfig, snapshot.crds, 60_000);
  return cluster.kubeconfig;
}

/**
 * What the platform's chart installs cluster-wide for the operator's children, applied as the
 * chart's files (server-side apply, so applying again is harmless): the Argo step templates every
 * pipeline's CronWorkflows reference (charts/inquiry-platform/files/generated/workflow-steps.yaml).
 * Applied after the upstream CRDs are served; a refusal by the ClusterWorkflowTemplate schema
 * fails the start.
 */
export async function installChartClusterObjects(kubeconfig: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const file = new URL(
    '../../charts/inquiry-platform/files/generated/workflow-steps.yaml',
    import.meta.url,
  );
  const objects = parseAllDocuments(await readFile(file, 'utf8'))
    .filter((doc) => doc.contents !== null)
    .map((doc) => doc.toJS() as k8s.KubernetesObject & Record<string, unknown>);
  await apply(kc, objects);
}
