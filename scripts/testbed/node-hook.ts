/**
 * Whether this test bed gets a node, and its start: by default when running as root (a plain
 * control plane otherwise, or with TESTBED_NODE=0), required with TESTBED_NODE=1.
 */
import { installAddons } from './addons.js';
import { progress } from './build.js';
import { ensureNodePackages } from './host.js';
import { nodeUnavailable, startNode, type NodeArtifacts } from './node.js';
import { ensureNodeArtifacts } from './node-build.js';
import type { NodeNetwork } from './node-config.js';
import { platformImages, type PlatformImageNames } from './platform-images.js';
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

/** What the node runs, and the platform's images among them. */
export interface PreparedNode {
  artifacts: NodeArtifacts;
  platformImages: PlatformImageNames;
}

/**
 * Installs the node's packages if missing, builds its binaries and images (once), and the
 * platform's images of this checkout (once per content of the build context).
 */
export async function prepareNode(): Promise<PreparedNode> {
  await ensureNodePackages();
  const artifacts = await ensureNodeArtifacts();
  const platform = await platformImages();
  return {
    artifacts: { ...artifacts, images: [...artifacts.images, ...platform.archives] },
    platformImages: platform.names,
  };
}

export async function startNodeFor(
  run: Run,
  kubeconfig: string,
  artifacts: NodeArtifacts,
): Promise<NodeNetwork> {
  const node = await startNode(run, kubeconfig, artifacts);
  const started = Date.now();
  await installAddons(kubeconfig, node.network, artifacts.argoRbac);
  progress(
    `CoreDNS and Argo's controller Available in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return node.network;
}
