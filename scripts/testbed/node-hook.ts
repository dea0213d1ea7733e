/**
 * Whether this test bed gets a node, and its start: by default when running as root (a plain
 * control plane otherwise, or with TESTBED_NODE=0), required with TESTBED_NODE=1.
 */
import { installAddons } from './addons.js';
import { progress } from './build.js';
import { ensureNodePackages } from './host.js';
import { nodeUnavailable, startNode, type NodeArtifacts } from './node.js';
import { ensureNodeArtifacts } from './node-build.js';
import type { Run } from './runs.js';

export function nodeWanted(): boolean {
  const setting = process.env.TESTBED_NODE;
  if (setting === '0') return false;
  const reason = nodeUnavailable();
  if (reason === undefined) return true;
  if (setting === '1') throw new Error(reason);
  progress(`no node: ${reason}`);
  return false;
}

/** Installs the node's packages if missing, then builds its binaries and images (once). */
export async function prepareNode(): Promise<NodeArtifacts> {
  await ensureNodePackages();
  return ensureNodeArtifacts();
}

export async function startNodeFor(
  run: Run,
  kubeconfig: string,
  artifacts: NodeArtifacts,
): Promise<void> {
  const node = await startNode(run, kubeconfig, artifacts);
  const started = Date.now();
  await installAddons(kubeconfig, node.network, artifacts.argoRbac);
  progress(
    `CoreDNS and Argo's controller Available in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
