/**
 * Builds, once, what the node runs: kubelet, kube-scheduler and kube-proxy from the same
 * Kubernetes build module as the API server; the pause, base and Node.js images; CoreDNS and
 * Argo Workflows' controller and executor with Argo's RBAC manifests.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { argoImage, argoRbacFiles, corednsImage } from './addons-build.js';
import { goBinary } from './build.js';
import type { NodeArtifacts } from './node.js';
import { baseImage, nodeImage, pauseImage } from './node-images.js';
import { KUBERNETES_LDFLAGS, KUBERNETES_VERSION, buildDir } from './versions.js';

export async function ensureNodeArtifacts(): Promise<NodeArtifacts> {
  const binDir = path.join(buildDir(), 'bin');
  await mkdir(binDir, { recursive: true });
  const kubernetes = (name: string) =>
    goBinary(
      binDir,
      name,
      'kubernetes',
      `k8s.io/kubernetes/cmd/${name}`,
      `${name} Kubernetes ${KUBERNETES_VERSION}`,
      undefined,
      KUBERNETES_LDFLAGS,
    );
  // One Go build at a time (two cores); the base image's debootstrap is mostly download.
  const goBuilt = (async () => {
    const kubelet = await kubernetes('kubelet');
    const kubeScheduler = await kubernetes('kube-scheduler');
    const kubeProxy = await kubernetes('kube-proxy');
    const pause = await pauseImage(binDir);
    const coredns = await corednsImage(binDir);
    return { kubelet, kubeScheduler, kubeProxy, goImages: [pause, coredns] };
  })();
  const [{ goImages, ...binaries }, base, node, argoRbac] = await Promise.all([
    goBuilt,
    baseImage(),
    nodeImage(),
    argoRbacFiles(),
  ]);
  // Argo's image sits on the base layer; its build is the longest, last.
  const argo = await argoImage(binDir);
  return { ...binaries, argoRbac, images: [...goImages, base, node, argo] };
}
