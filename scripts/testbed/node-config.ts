/**
 * The node's configuration files, as pure functions of the run's layout. Every path the software
 * lets us choose is under the run directory; the comments name the machine limits they work around.
 */
import path from 'node:path';
import { CNI_BIN_DIR } from './host.js';

/** The names and addresses one run's node uses on the host. */
export interface NodeNetwork {
  /** Linux bridge of the pod network (<= 15 characters, unique per run). */
  bridge: string;
  /** CNI network name; libcni names its cache files in /var/lib/cni after it. */
  network: string;
  subnet: string;
  /** The bridge's address: the pods' gateway, the node's IP, where pods reach the API server. */
  gateway: string;
  /** The API server's --service-cluster-ip-range (the `kubernetes` Service is its first IP). */
  serviceCidr: string;
  /** The cluster DNS Service's IP (CoreDNS). */
  dnsIp: string;
  /** The comment on every iptables rule this run adds, so teardown removes exactly those. */
  ruleComment: string;
}

export function nodeNetwork(runId: string): NodeNetwork {
  return {
    bridge: `itb-${runId}`.slice(0, 15),
    network: `inquiry-testbed-${runId}`,
    subnet: '10.244.0.0/24',
    gateway: '10.244.0.1',
    serviceCidr: '10.0.0.0/24',
    dnsIp: '10.0.0.10',
    ruleComment: `inquiry-testbed-${runId}`,
  };
}

/** Where a run keeps its node's state (the hard-wired exceptions are listed in teardown). */
export function nodePaths(runDir: string) {
  const node = path.join(runDir, 'node');
  return {
    node,
    containerdConfig: path.join(node, 'containerd', 'config.toml'),
    containerdRoot: path.join(node, 'containerd', 'root'),
    containerdState: path.join(node, 'containerd', 'state'),
    containerdSocket: path.join(node, 'containerd', 'containerd.sock'),
    cniConfDir: path.join(node, 'cni', 'net.d'),
    cniIpamDir: path.join(node, 'cni', 'ipam'),
    kubeletConfig: path.join(node, 'kubelet', 'config.yaml'),
    kubeletRoot: path.join(node, 'kubelet', 'root'),
    kubeletPki: path.join(node, 'kubelet', 'pki'),
    podLogs: path.join(node, 'kubelet', 'pod-logs'),
    resolvConf: path.join(node, 'kubelet', 'resolv.conf'),
  };
}

export type NodePaths = ReturnType<typeof nodePaths>;

export function containerdConfig(paths: NodePaths, pauseImage: string): string {
  return `version = 2
root = "${paths.containerdRoot}"
state = "${paths.containerdState}"
[grpc]
  address = "${paths.containerdSocket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${path.join(paths.node, 'containerd', 'opt')}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  enable_cdi = false
  netns_mounts_under_state_dir = true
  # Root here lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj (the CRI asks -998).
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${path.join(paths.node, 'containerd', 'runc')}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN_DIR}"
    conf_dir = "${paths.cniConfDir}"
    max_conf_num = 1
`;
}

export function cniConfig(paths: NodePaths, net: NodeNetwork): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: net.network,
      plugins: [
        {
          type: 'bridge',
          bridge: net.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: paths.cniIpamDir,
            ranges: [[{ subnet: net.subnet, gateway: net.gateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
      ],
    },
    null,
    2,
  );
}

export function kubeletConfig(
  paths: NodePaths,
  net: NodeNetwork,
  ports: { kubelet: number; healthz: number },
): string {
  return JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: '127.0.0.1',
      port: ports.kubelet,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      healthzPort: ports.healthz,
      // The API server has no kubelet client certificate; kubelet listens on loopback only.
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false } },
      authorization: { mode: 'AlwaysAllow' },
      containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
      // Cgroup v1 and no systemd on these machines: kubelet 1.36 refuses v1 unless told.
      cgroupDriver: 'cgroupfs',
      failCgroupV1: false,
      failSwapOn: false,
      // The default -999 needs CAP_SYS_RESOURCE, which root lacks here.
      oomScoreAdj: 0,
      podLogsDir: paths.podLogs,
      resolvConf: paths.resolvConf,
      clusterDNS: [net.dnsIp],
      clusterDomain: 'cluster.local',
      // The imported images cannot be pulled again: never garbage-collect them.
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: {
        'memory.available': '100Mi',
        'nodefs.available': '1%',
        'imagefs.available': '1%',
      },
      serializeImagePulls: false,
    },
    null,
    2,
  );
}

/** Pods resolve through the cluster DNS only: the host's resolver is never handed to them. */
export function podResolvConf(net: NodeNetwork): string {
  return `nameserver ${net.dnsIp}\n`;
}

/**
 * The iptables rules (mangle FORWARD, ahead of anything kube-proxy inserts in filter) that keep
 * pod traffic on the machine: nothing from the pod subnet leaves by another interface than the
 * bridge, nothing enters the subnet from one.
 */
export function forwardDropRules(net: NodeNetwork): string[][] {
  const tag = ['-m', 'comment', '--comment', net.ruleComment];
  return [
    ['-s', net.subnet, '!', '-o', net.bridge, ...tag, '-j', 'DROP'],
    ['-d', net.subnet, '!', '-i', net.bridge, ...tag, '-j', 'DROP'],
  ];
}

/** Splits one `iptables -S` line into arguments (double quotes group words). */
export function splitRule(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g))
    args.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  return args;
}

/**
 * From one table's `iptables -S`: the rules of built-in chains that jump to a KUBE-* chain (to
 * delete, as `-D` arguments) and the KUBE-* chains (to flush and delete).
 */
export function kubeChainsIn(listing: string): { jumps: string[][]; chains: string[] } {
  const jumps: string[][] = [];
  const chains: string[] = [];
  for (const line of listing.split('\n')) {
    const args = splitRule(line.trim());
    if (args[0] === '-N' && args[1]?.startsWith('KUBE-')) chains.push(args[1]);
    const target = args[args.indexOf('-j') + 1];
    if (args[0] === '-A' && !args[1]!.startsWith('KUBE-') && target?.startsWith('KUBE-'))
      jumps.push(args.slice(1));
  }
  return { jumps, chains };
}
