/**
 * The test bed's node: containerd (runc, CNI bridge), kubelet, kube-scheduler and kube-proxy
 * joined to the run's API server, so pods really run. Root-level host networking (a bridge,
 * iptables rules, ip_forward), so one node per machine: a lock in /run names the run holding it.
 * Every host change is recorded in the run's state before it is made; `stopNode` undoes them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { progress } from './build.js';
import { host, isRoot } from './host.js';
import {
  cniConfig,
  containerdConfig,
  forwardDropRules,
  kubeletConfig,
  nodeNetwork,
  nodePaths,
  podResolvConf,
  type NodeNetwork,
} from './node-config.js';
import { PAUSE_IMAGE, type ImageArchive } from './node-images.js';
import { freePorts, startDaemon, waitUntilReady, type Daemon } from './processes.js';
import type { Run } from './runs.js';

/** Host paths that containerd, libcni and kubelet hard-wire; removed at teardown if we made them. */
export const HARD_WIRED_PATHS = ['/var/lib/kubelet', '/var/lib/cni', '/run/containerd'];

const LOCK_FILE = '/run/inquiry-testbed-node.json';

/** What teardown needs to undo a node, saved in the run's state as it is set up. */
export interface NodeState {
  network: NodeNetwork;
  nodeName: string;
  kubeProxy: string;
  ipForwardBefore: string;
  /** Of HARD_WIRED_PATHS and the kubepods cgroups, those absent before the node started. */
  createdPaths: string[];
  /** Steps done so far, so a half-started node is undone as far as it got. */
  done: string[];
}

export interface NodeArtifacts {
  kubelet: string;
  kubeScheduler: string;
  kubeProxy: string;
  images: ImageArchive[];
  /** Argo's RBAC manifests, applied with its controller (addons.ts). */
  argoRbac: string[];
}

/** Why this machine cannot run the node, in one line saying what to do; undefined if it can. */
export function nodeUnavailable(): string | undefined {
  if (!isRoot()) {
    return 'the node (containerd, a bridge, iptables) needs root: run as root for a node, or set TESTBED_NODE=0 for a control plane only';
  }
  return undefined;
}

/** Takes the machine's node lock for `runDir`; a lock whose run is gone is stale. */
async function lockNode(runDir: string): Promise<void> {
  for (;;) {
    try {
      await writeFile(LOCK_FILE, JSON.stringify({ runDir, pid: process.pid }), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // The lock exists: whose is it?
      const holder = (JSON.parse(await readFile(LOCK_FILE, 'utf8')) as { runDir: string }).runDir;
      if (existsSync(holder)) {
        throw new Error(
          `another test bed's node runs on this machine (run ${holder}): stop it with \`npm run testbed -- down\` in its checkout, or set TESTBED_NODE=0`,
          { cause: error },
        );
      }
      await unlink(LOCK_FILE).catch(() => {});
    }
  }
}

/** The run directory of the test bed whose node runs on this machine, if any. */
export async function nodeHolder(): Promise<string | undefined> {
  return readFile(LOCK_FILE, 'utf8').then(
    (text) => (JSON.parse(text) as { runDir: string }).runDir,
    () => undefined,
  );
}

export async function unlockNode(runDir: string): Promise<void> {
  if ((await nodeHolder()) === runDir) await unlink(LOCK_FILE);
}

/** The kubepods cgroups kubelet (cgroupfs driver) makes in each v1 hierarchy. */
export function kubepodsCgroups(): string[] {
  return readdirSync('/sys/fs/cgroup', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `/sys/fs/cgroup/${entry.name}/kubepods`);
}

async function apiServerPort(kubeconfig: string): Promise<number> {
  const config = JSON.parse(await readFile(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
  };
  return Number(new URL(config.clusters[0]!.cluster.server).port);
}

async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  daemon?: Daemon,
) {
  if (daemon) return waitUntilReady(daemon, probe, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `ctr` against the run's containerd, in the CRI's namespace. */
export function ctr(runDir: string, args: string[]): Promise<string> {
  return host('ctr', ['--address', nodePaths(runDir).containerdSocket, '-n', 'k8s.io', ...args]);
}

/**
 * Starts the node for `run` against the API server of `kubeconfig` and waits until it is Ready.
 * On failure the caller removes the run, which undoes whatever was done (see `stopNode`).
 */
export async function startNode(
  run: Run,
  kubeconfig: string,
  artifacts: NodeArtifacts,
): Promise<NodeState> {
  const started = Date.now();
  const runId = randomBytes(3).toString('hex');
  const net = nodeNetwork(runId);
  const paths = nodePaths(run.dir);
  const state: NodeState = {
    network: net,
    nodeName: hostname().toLowerCase(),
    kubeProxy: artifacts.kubeProxy,
    ipForwardBefore: (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim(),
    createdPaths: [...HARD_WIRED_PATHS, ...kubepodsCgroups()].filter((p) => !existsSync(p)),
    done: [],
  };
  const step = async (name: string, action: () => Promise<unknown>): Promise<void> => {
    state.done.push(name);
    await run.setNode(state);
    await action();
  };

  await lockNode(run.dir);
  await step('lock', async () => {});
  await Promise.all(
    [
      paths.containerdRoot,
      paths.containerdState,
      paths.cniConfDir,
      paths.cniIpamDir,
      paths.kubeletRoot,
      paths.kubeletPki,
      paths.podLogs,
    ].map((dir) => mkdir(dir, { recursive: true })),
  );

  // The bridge exists before kubelet starts: its address is the node's IP.
  await step('bridge', async () => {
    await host('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    await host('ip', ['addr', 'add', `${net.gateway}/24`, 'dev', net.bridge]);
    await host('ip', ['link', 'set', net.bridge, 'up']);
    // Service IPs without a backend stay on the bridge instead of following the default route.
    await host('ip', ['route', 'add', net.serviceCidr, 'dev', net.bridge]);
  });
  await step('forward-rules', async () => {
    for (const rule of forwardDropRules(net))
      await host('iptables', ['-t', 'mangle', '-I', 'FORWARD', '1', ...rule]);
  });
  // Pod -> ClusterIP -> pod is routed through the host.
  await step('ip_forward', () => writeFile('/proc/sys/net/ipv4/ip_forward', '1\n'));

  await writeFile(paths.containerdConfig, containerdConfig(paths, PAUSE_IMAGE));
  await writeFile(path.join(paths.cniConfDir, '10-testbed.conflist'), cniConfig(paths, net));
  const [kubeletPort, healthzPort, schedulerPort, proxyHealthz, proxyMetrics] = await freePorts(5);
  await writeFile(
    paths.kubeletConfig,
    kubeletConfig(paths, net, { kubelet: kubeletPort!, healthz: healthzPort! }),
  );
  await writeFile(paths.resolvConf, podResolvConf(net));
  const logs = path.join(run.dir, 'node');

  const containerd = startDaemon({
    name: 'containerd',
    command: 'containerd',
    args: ['--config', paths.containerdConfig],
    log: path.join(logs, 'containerd.log'),
  });
  await run.record(containerd);
  await until(
    'containerd',
    async () => (await ctr(run.dir, ['version']), true),
    30_000,
    containerd,
  );
  const imported = Date.now();
  await Promise.all(
    artifacts.images.map(({ archive }) => ctr(run.dir, ['images', 'import', archive])),
  );
  progress(
    `  imported ${artifacts.images.length} images in ${((Date.now() - imported) / 1000).toFixed(1)} s`,
  );

  const kubelet = startDaemon({
    name: 'kubelet',
    command: artifacts.kubelet,
    args: [
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--cert-dir=${paths.kubeletPki}`,
      `--node-ip=${net.gateway}`,
      '-v=1',
    ],
    log: path.join(logs, 'kubelet.log'),
  });
  await step('kubelet', () => run.record(kubelet));
  const scheduler = startDaemon({
    name: 'kube-scheduler',
    command: artifacts.kubeScheduler,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
    ],
    log: path.join(logs, 'kube-scheduler.log'),
  });
  await run.record(scheduler);
  const kubeProxy = startDaemon({
    name: 'kube-proxy',
    command: artifacts.kubeProxy,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${state.nodeName}`,
      '--proxy-mode=iptables',
      `--cluster-cidr=${net.subnet}`,
      // These four keep kube-proxy from writing route_localnet and the conntrack sysctls.
      '--iptables-localhost-nodeports=false',
      '--conntrack-max-per-core=0',
      '--conntrack-tcp-timeout-established=0',
      '--conntrack-tcp-timeout-close-wait=0',
      `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
      `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
    ],
    log: path.join(logs, 'kube-proxy.log'),
  });
  await step('kube-proxy', () => run.record(kubeProxy));

  // The API server listens on loopback only: pods reach it through this forwarder on the bridge,
  // the `kubernetes` Service's endpoint.
  const apiForwarder = startDaemon({
    name: 'api-forwarder',
    // Through sh, whose arguments carry the run directory: that is how teardown knows it is ours.
    command: 'sh',
    args: [
      '-c',
      'socat "$1" "$2"; exit $?',
      run.dir,
      `TCP-LISTEN:6443,bind=${net.gateway},fork,reuseaddr`,
      `TCP:127.0.0.1:${await apiServerPort(kubeconfig)}`,
    ],
    log: path.join(logs, 'api-forwarder.log'),
  });
  await run.record(apiForwarder);

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  await k8s.KubernetesObjectApi.makeApiClient(kc).patch(
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      endpoints: [{ addresses: [net.gateway], conditions: { ready: true } }],
    } as k8s.KubernetesObject,
    undefined,
    undefined,
    'inquiry-testbed',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );

  const core = kc.makeApiClient(k8s.CoreV1Api);
  await until(
    'the node',
    async () =>
      (await core.readNode({ name: state.nodeName })).status?.conditions?.some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ) ?? false,
    60_000,
    kubelet,
  );
  progress(`node ${state.nodeName} Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return state;
}
