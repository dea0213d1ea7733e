/**
 * Undoes a node, in the order that leaves nothing behind: the pods first (through kubelet, which
 * tears down their sandboxes and networks), then kube-proxy and its rules, the scheduler, kubelet,
 * containerd; then whatever mount, process, chain or path remains; then the host network changes.
 * Each step runs even when an earlier one failed; the failures are reported together at the end.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { host } from './host.js';
import { forwardDropRules, kubeChainsIn } from './node-config.js';
import { ctr, unlockNode, type NodeState } from './node.js';
import { commandLine, groupMembers, isAlive, stopDaemon, type Daemon } from './processes.js';

/** Deletes the pods bound to the node and waits until kubelet has removed them. */
async function drainPods(runDir: string, nodeName: string): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path.join(runDir, 'kubeconfig'));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` });
    if (pods.items.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(
        `pods still on the node after 90 s: ${pods.items.map((p) => p.metadata?.name).join(', ')}`,
      );
    await Promise.all(
      pods.items
        .filter((pod) => !pod.metadata?.deletionTimestamp)
        .map((pod) =>
          core
            .deleteNamespacedPod({
              name: pod.metadata!.name!,
              namespace: pod.metadata!.namespace!,
              gracePeriodSeconds: 1,
            })
            .catch(() => {}),
        ),
    );
    await sleep(500);
  }
  // Pods gone from the API means kubelet stopped their containers and sandboxes.
  while ((await ctr(runDir, ['tasks', 'ls', '-q'])).trim() !== '' && Date.now() < deadline)
    await sleep(500);
}

/** Every mount point under `dir` (deepest first), from this process's mount table. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && point.startsWith(`${dir}/`))
    .map((point) => point.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

/** Live processes whose command line names `dir` (the run's daemons and containerd's shims). */
export function processesOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .map(Number)
    .filter((pid) => isAlive(pid) && commandLine(pid)?.includes(dir));
}

/** Kills the containerd shims of the run that outlived containerd (their containers die with them). */
async function killShimsOf(dir: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = processesOf(dir).filter((pid) => commandLine(pid)?.includes('containerd-shim'));
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
}

/** Kills what is left in a cgroup tree, then removes its directories, deepest first. */
async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true }))
    if (entry.isDirectory()) await removeCgroup(path.join(dir, entry.name));
  for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let tries = 0; ; tries++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if (tries > 50) throw error;
      await sleep(100);
    }
  }
}

/** Removes kubelet's and kube-proxy's KUBE-* chains and the jumps to them (IPv4 and IPv6). */
async function removeKubeChains(): Promise<void> {
  for (const iptables of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const { jumps, chains } = kubeChainsIn(await host(iptables, ['-t', table, '-S']));
      for (const jump of jumps) await host(iptables, ['-t', table, '-D', ...jump]);
      for (const chain of chains) await host(iptables, ['-t', table, '-F', chain]);
      for (const chain of chains) await host(iptables, ['-t', table, '-X', chain]);
    }
  }
}

/**
 * Undoes the node of the run in `runDir` as far as `state.done` says it got. `daemons` are the
 * run's daemons; the node's are stopped here, in order, the others are left to the caller.
 */
export async function stopNode(runDir: string, state: NodeState, daemons: Daemon[]): Promise<void> {
  const failures: string[] = [];
  const attempt = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      failures.push(`${what}: ${(error as Error).message}`);
    }
  };
  const daemon = (name: string) => daemons.find((d) => d.name === name && isAlive(d.pid));
  const stop = async (name: string) => {
    const found = daemon(name);
    if (found && commandLine(found.pid)?.includes(runDir)) await stopDaemon(found, 30_000);
  };
  const net = state.network;
  const done = new Set(state.done);

  await stop('kube-scheduler');
  if (daemon('kubelet') && daemon('kube-apiserver'))
    await attempt('removing the pods', () => drainPods(runDir, state.nodeName));
  await stop('kube-proxy');
  if (done.has('kube-proxy'))
    await attempt('kube-proxy --cleanup', () => host(state.kubeProxy, ['--cleanup']));
  await stop('kubelet');
  await stop('containerd');
  await stop('api-forwarder');
  // Shims and containers a failed drain left; then the mounts (kubelet's bind mount of its root
  // onto itself, pod volumes, rootfs overlays, netns files).
  await attempt('stopping leftover shims', () => killShimsOf(runDir));
  for (const cgroup of state.createdPaths.filter((p) => p.startsWith('/sys/fs/cgroup/')))
    await attempt(`removing cgroup ${cgroup}`, () => removeCgroup(cgroup));
  await attempt('unmounting', async () => {
    for (let round = 0; round < 5 && mountsUnder(runDir).length > 0; round++)
      for (const point of mountsUnder(runDir)) await host('umount', ['-l', point]).catch(() => {});
    const left = mountsUnder(runDir);
    if (left.length > 0) throw new Error(`still mounted: ${left.join(', ')}`);
  });

  if (done.has('kubelet')) await attempt('removing KUBE-* chains', removeKubeChains);
  if (done.has('forward-rules'))
    for (const rule of forwardDropRules(net))
      await attempt('removing the FORWARD drop rules', async () => {
        const present = await host('iptables', ['-t', 'mangle', '-C', 'FORWARD', ...rule]).then(
          () => true,
          () => false,
        );
        if (present) await host('iptables', ['-t', 'mangle', '-D', 'FORWARD', ...rule]);
      });
  if (done.has('bridge'))
    await attempt(`removing bridge ${net.bridge}`, async () => {
      if (existsSync(`/sys/class/net/${net.bridge}`)) await host('ip', ['link', 'del', net.bridge]);
    });
  if (done.has('ip_forward'))
    await attempt('restoring ip_forward', () =>
      writeFile('/proc/sys/net/ipv4/ip_forward', `${state.ipForwardBefore}\n`),
    );
  for (const created of state.createdPaths.filter((p) => !p.startsWith('/sys/fs/cgroup/')))
    await attempt(`removing ${created}`, () => rm(created, { recursive: true, force: true }));
  // libcni caches results per network in /var/lib/cni even when that folder predates us.
  await attempt('removing CNI cache entries', async () => {
    const results = '/var/lib/cni/results';
    for (const entry of await readdir(results).catch(() => [] as string[]))
      if (entry.startsWith(`${net.network}-`)) await rm(path.join(results, entry), { force: true });
  });
  await attempt('releasing the node lock', () => unlockNode(runDir));
  // The run's control plane (API server, etcd, MLflow, …) is stopped after the node, by the caller.
  const controlPlane = new Set(
    daemons.filter((d) => isAlive(d.pid)).flatMap((d) => groupMembers(d.pid)),
  );
  failures.push(
    ...(await nodeLeftovers(runDir, state, controlPlane)).map((left) => `left behind: ${left}`),
  );
  if (failures.length > 0)
    throw new Error(`the node's teardown left work undone:\n  ${failures.join('\n  ')}`);
}

/**
 * What of the node is still on the machine: processes, mounts, iptables chains and rules, the
 * bridge, ip_forward, paths and cgroups it created. Empty after a complete teardown.
 */
export async function nodeLeftovers(
  runDir: string,
  state: NodeState,
  ignore: ReadonlySet<number> = new Set(),
): Promise<string[]> {
  const left: string[] = [];
  for (const pid of processesOf(runDir).filter((p) => !ignore.has(p)))
    left.push(`process ${pid}: ${commandLine(pid)}`);
  for (const point of mountsUnder(runDir)) left.push(`mount ${point}`);
  for (const iptables of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const listing = await host(iptables, ['-t', table, '-S']).catch(() => '');
      for (const chain of kubeChainsIn(listing).chains)
        left.push(`${iptables} -t ${table} chain ${chain}`);
      for (const line of listing.split('\n'))
        if (line.includes(state.network.ruleComment))
          left.push(`${iptables} -t ${table} rule ${line}`);
    }
  }
  if (existsSync(`/sys/class/net/${state.network.bridge}`))
    left.push(`bridge ${state.network.bridge}`);
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  if (state.done.includes('ip_forward') && ipForward !== state.ipForwardBefore)
    left.push(`net.ipv4.ip_forward is ${ipForward}, was ${state.ipForwardBefore}`);
  for (const created of state.createdPaths) if (existsSync(created)) left.push(`path ${created}`);
  return left;
}
