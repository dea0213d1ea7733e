/** `testbed status`: the node's readiness, its pods and the images containerd holds. */
import * as k8s from '@kubernetes/client-node';
import { ctr } from './node.js';
import type { TestbedEnv } from './runs.js';

export async function nodeStatus(env: TestbedEnv): Promise<string> {
  if (!env.node) return 'node: none (control plane only)';
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const lines: string[] = [];
  for (const node of (await core.listNode()).items) {
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    lines.push(
      `node: ${node.metadata?.name} Ready=${ready?.status ?? 'Unknown'} ${ip ?? ''}`.trimEnd(),
    );
  }
  const pods = (await core.listPodForAllNamespaces()).items;
  lines.push(`pods: ${pods.length}`);
  for (const pod of pods)
    lines.push(
      `  ${pod.metadata?.namespace}/${pod.metadata?.name} ${pod.status?.phase} ${pod.status?.podIP ?? ''}`.trimEnd(),
    );
  const images = (await ctr(env.runDir, ['images', 'ls', '-q']))
    .split('\n')
    .filter((name) => name && !name.startsWith('sha256:'));
  lines.push(`images: ${images.length}`);
  for (const image of images) lines.push(`  ${image}`);
  return lines.join('\n');
}
