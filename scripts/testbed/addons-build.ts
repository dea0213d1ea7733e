/**
 * Builds, once, the cluster add-ons that run as pods on the node: Argo Workflows' controller and
 * executor (from the module whose CRDs the test bed installs) and CoreDNS, each into an image.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { goBinary, runLong } from './build.js';
import { baseLayer, cachedLayer, imagesDir, type ImageArchive } from './node-images.js';
import { writeImageArchive } from './oci.js';
import { ARGO_VERSION, COREDNS_VERSION, buildDir } from './versions.js';

const execFileAsync = promisify(execFile);
const ARGO_MODULE = 'github.com/argoproj/argo-workflows/v3';
export const ARGO_IMAGE = `localhost/inquiry/argo:${ARGO_VERSION}`;
export const COREDNS_IMAGE = `localhost/inquiry/coredns:${COREDNS_VERSION}`;

/** The Argo module's source in the Go module cache (downloaded if missing). */
export async function argoModuleDir(): Promise<string> {
  const { stdout } = await execFileAsync(
    'go',
    ['mod', 'download', '-json', `${ARGO_MODULE}@${ARGO_VERSION}`],
    {
      cwd: buildDir(),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${ARGO_MODULE}@${ARGO_VERSION}: ${info.Error}`);
  return info.Dir;
}

/**
 * The Argo build module in the cache: scripts/testbed/go/argo's go.mod beside a copy of the
 * published module with workflow/executor/osspecific/signal_linux.go restored (upstream it is a
 * symlink to signal_darwin.go, and module zips drop symlinks, so argoexec would not build).
 */
async function argoBuildModule(): Promise<string> {
  const dir = path.join(buildDir(), `go-argo-${ARGO_VERSION}`);
  const source = path.join(dir, 'argo-workflows');
  const signal = path.join(source, 'workflow/executor/osspecific');
  if (existsSync(path.join(signal, 'signal_linux.go'))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const module = fileURLToPath(new URL('./go/argo/', import.meta.url));
  for (const file of ['go.mod', 'go.sum'])
    await copyFile(path.join(module, file), path.join(dir, file));
  await cp(await argoModuleDir(), source, { recursive: true });
  await execFileAsync('chmod', ['-R', 'u+w', source]);
  await copyFile(path.join(signal, 'signal_darwin.go'), path.join(signal, 'signal_linux.go'));
  return dir;
}

/** Argo's own RBAC for its controller and its executor, as published in the module. */
const ARGO_RBAC_FILES = [
  'manifests/base/workflow-controller/workflow-controller-sa.yaml',
  'manifests/cluster-install-no-crds/workflow-controller-rbac/workflow-controller-clusterrole.yaml',
  'manifests/cluster-install-no-crds/workflow-controller-rbac/workflow-controller-clusterrolebinding.yaml',
  'manifests/cluster-install-no-crds/workflow-controller-rbac/workflow-controller-role.yaml',
  'manifests/cluster-install-no-crds/workflow-controller-rbac/workflow-controller-rolebinding.yaml',
  'manifests/quick-start/base/executor/emissary/executor-role.yaml',
];

/** Copies Argo's RBAC manifests into the cache (once); their paths. */
export async function argoRbacFiles(): Promise<string[]> {
  const dir = path.join(buildDir(), `argo-rbac-${ARGO_VERSION}`);
  const targets = ARGO_RBAC_FILES.map((file) => path.join(dir, path.basename(file)));
  if (targets.every((target) => existsSync(target))) return targets;
  const source = await argoModuleDir();
  await mkdir(dir, { recursive: true });
  await Promise.all(
    ARGO_RBAC_FILES.map((file, i) => copyFile(path.join(source, file), targets[i]!)),
  );
  return targets;
}

/** workflow-controller and argoexec in one image (the controller runs the executor's image). */
export async function argoImage(binDir: string): Promise<ImageArchive> {
  const module = await argoBuildModule();
  const env = { CGO_ENABLED: '0' };
  const controller = await goBinary(
    binDir,
    `workflow-controller-${ARGO_VERSION}`,
    module,
    `${ARGO_MODULE}/cmd/workflow-controller`,
    `Argo workflow-controller ${ARGO_VERSION}`,
    env,
  );
  const executor = await goBinary(
    binDir,
    `argoexec-${ARGO_VERSION}`,
    module,
    `${ARGO_MODULE}/cmd/argoexec`,
    `Argo argoexec ${ARGO_VERSION}`,
    env,
  );
  const layer = await cachedLayer(`argo-${ARGO_VERSION}`, async (rootfs) => {
    await mkdir(path.join(rootfs, 'bin'), { recursive: true });
    await copyFile(controller, path.join(rootfs, 'bin', 'workflow-controller'));
    await copyFile(executor, path.join(rootfs, 'bin', 'argoexec'));
    await chmod(path.join(rootfs, 'bin', 'argoexec'), 0o755);
  });
  // On the glibc base: argoexec's init copies itself into the pod, the steps' images vary.
  const archive = await writeImageArchive(
    {
      name: ARGO_IMAGE,
      layers: [await baseLayer(), layer],
      entrypoint: ['/bin/argoexec'],
      user: '8737:8737',
    },
    imagesDir(),
  );
  return { name: ARGO_IMAGE, archive };
}

/** CoreDNS from its module (`go install`; its go.mod has no replace directives). */
export async function corednsImage(binDir: string): Promise<ImageArchive> {
  const binary = path.join(binDir, `coredns-${COREDNS_VERSION}`);
  if (!existsSync(binary)) {
    const gobin = path.join(buildDir(), `gobin-coredns-${process.pid}`);
    try {
      await runLong(
        `building CoreDNS ${COREDNS_VERSION} (go install github.com/coredns/coredns)`,
        'go',
        ['install', `github.com/coredns/coredns@${COREDNS_VERSION}`],
        buildDir(),
        { GOBIN: gobin, CGO_ENABLED: '0' },
      );
      await copyFile(path.join(gobin, 'coredns'), `${binary}.partial`);
      await execFileAsync('mv', [`${binary}.partial`, binary]);
    } finally {
      await rm(gobin, { recursive: true, force: true });
    }
  }
  const layer = await cachedLayer(`coredns-${COREDNS_VERSION}`, async (rootfs) => {
    await mkdir(rootfs, { recursive: true });
    await copyFile(binary, path.join(rootfs, 'coredns'));
    await chmod(path.join(rootfs, 'coredns'), 0o755);
  });
  const archive = await writeImageArchive(
    { name: COREDNS_IMAGE, layers: [layer], entrypoint: ['/coredns'], user: '65532:65532' },
    imagesDir(),
  );
  return { name: COREDNS_IMAGE, archive };
}
