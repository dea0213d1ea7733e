/**
 * Builds, once, what the test bed runs: kube-apiserver, kube-controller-manager and etcd from
 * their Go modules, the upstream CRD manifests from their projects' Go modules, and an MLflow
 * virtualenv. Everything lands in the versioned cache directory and is reused after.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CRD_SOURCES,
  ETCD_VERSION,
  HELM_VERSION,
  ISTIO_VERSION,
  KUBERNETES_LDFLAGS,
  KUBERNETES_VERSION,
  MLFLOW_VERSION,
  PROMETHEUS_VERSION,
  buildDir,
} from './versions.js';

const execFileAsync = promisify(execFile);
const goModules = fileURLToPath(new URL('./go/', import.meta.url));

export interface Artifacts {
  kubeApiserver: string;
  kubeControllerManager: string;
  etcd: string;
  crdFiles: string[];
  mlflow: string;
  /** `helm` and `promtool`: the chart and alert-rule checks run them. */
  helm: string;
  promtool: string;
  /** `istioctl`: the Istio checks run `istioctl analyze` over the operator's objects. */
  istioctl: string;
  /** A Prometheus server, started by the tests that need one (the analysis provider's). */
  prometheus: string;
}

export function progress(message: string): void {
  process.stderr.write(`[testbed] ${message}\n`);
}

/** Runs a long command, printing a heartbeat so a first build does not look hung. */
export async function runLong(
  what: string,
  command: string,
  args: string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  const started = Date.now();
  progress(`${what} …`);
  const heartbeat = setInterval(
    () => progress(`  still ${what} (${Math.round((Date.now() - started) / 1000)} s)`),
    30_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        cwd,
        env: env ? { ...process.env, ...env } : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-8000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', (cause) => reject(new Error(`${what}: cannot run ${command}`, { cause })));
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new Error(`${what} failed: ${command} ${args.join(' ')} exited ${code}\n${output}`),
            ),
      );
    });
  } finally {
    clearInterval(heartbeat);
  }
  progress(`  done ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Builds `pkg` of the build module `scripts/testbed/go/<module>` into `binDir/name`, once. */
export async function goBinary(
  binDir: string,
  name: string,
  module: string,
  pkg: string,
  label: string,
  env?: NodeJS.ProcessEnv,
  ldflags?: string,
): Promise<string> {
  const target = path.join(binDir, name);
  // The flags a binary was linked with sit beside it: other flags mean another build.
  const flagsFile = `${target}.ldflags`;
  const builtWith = existsSync(flagsFile) ? readFileSync(flagsFile, 'utf8') : '';
  if (existsSync(target) && builtWith === (ldflags ?? '')) return target;
  const partial = `${target}.partial`;
  await runLong(
    `building ${label} (go build ${pkg}; the first build takes minutes)`,
    'go',
    ['build', ...(ldflags ? ['-ldflags', ldflags] : []), '-o', partial, pkg],
    path.isAbsolute(module) ? module : path.join(goModules, module),
    env,
  );
  await rename(partial, target);
  if (ldflags) await writeFile(flagsFile, ldflags);
  else await rm(flagsFile, { force: true });
  return target;
}

async function moduleDir(module: string, version: string): Promise<string> {
  progress(`fetching ${module}@${version} (go mod download) for its CRDs`);
  try {
    const { stdout } = await execFileAsync(
      'go',
      ['mod', 'download', '-json', `${module}@${version}`],
      {
        cwd: tmpdir(),
        env: { ...process.env, GOFLAGS: '-mod=mod' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? 'no module directory reported');
    return info.Dir;
  } catch (cause) {
    throw new Error(`go mod download ${module}@${version} failed`, { cause });
  }
}

/**
 * The CRD files of CRD_SOURCES, copied once into crdDir. `minimal` takes Argo's minimal CRDs
 * instead of its full ones: what Argo's release manifests (cluster-install, namespace-install)
 * install, without the openAPIV3Schema the API server validates and prunes every object with.
 */
async function crdManifests(crdDir: string, argo: 'full' | 'minimal'): Promise<string[]> {
  const files: string[] = [];
  for (const source of CRD_SOURCES) {
    const sourceFiles = source.files.map((file) =>
      argo === 'minimal' ? file.replace('/crds/full/', '/crds/minimal/') : file,
    );
    const targets = sourceFiles.map((file) =>
      path.join(
        crdDir,
        `${path.basename(source.module)}-${source.version}-${file.includes('/crds/minimal/') ? 'minimal-' : ''}${path.basename(file)}`,
      ),
    );
    if (!targets.every((target) => existsSync(target))) {
      const dir = await moduleDir(source.module, source.version);
      await mkdir(crdDir, { recursive: true });
      await Promise.all(sourceFiles.map((file, i) => copyFile(path.join(dir, file), targets[i]!)));
    }
    files.push(...targets);
  }
  return files;
}

async function mlflowVirtualenv(venv: string): Promise<string> {
  const mlflow = path.join(venv, 'bin', 'mlflow');
  // Written last: a venv without it is a half-finished install and is rebuilt.
  const installed = path.join(venv, '.installed');
  if (existsSync(installed)) return mlflow;
  await rm(venv, { recursive: true, force: true });
  await runLong('creating the MLflow virtualenv', 'python3', ['-m', 'venv', venv], tmpdir());
  await runLong(
    `installing mlflow==${MLFLOW_VERSION} from PyPI into ${venv}`,
    path.join(venv, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '--quiet', `mlflow==${MLFLOW_VERSION}`],
    tmpdir(),
  );
  await writeFile(installed, `${MLFLOW_VERSION}\n`);
  return mlflow;
}

/** The upstream CRD manifests (fetched from their Go modules on first use), by file name. */
export async function upstreamCrdFiles(argo: 'full' | 'minimal' = 'full'): Promise<string[]> {
  return crdManifests(path.join(buildDir(), 'crds'), argo);
}

/** Ensures every artifact exists in the cache, building what is missing (in parallel). */
export async function ensureArtifacts(): Promise<Artifacts> {
  const root = buildDir();
  const binDir = path.join(root, 'bin');
  await mkdir(binDir, { recursive: true });
  const kubeLabel = `Kubernetes ${KUBERNETES_VERSION}`;
  // Go builds share the machine's two cores; running them one after another is as fast.
  const goBuilds = (async () => {
    const etcd = await goBinary(
      binDir,
      'etcd',
      'etcd',
      'go.etcd.io/etcd/server/v3',
      `etcd ${ETCD_VERSION}`,
    );
    const kubeApiserver = await goBinary(
      binDir,
      'kube-apiserver',
      'kubernetes',
      'k8s.io/kubernetes/cmd/kube-apiserver',
      `kube-apiserver ${kubeLabel}`,
      undefined,
      KUBERNETES_LDFLAGS,
    );
    const kubeControllerManager = await goBinary(
      binDir,
      'kube-controller-manager',
      'kubernetes',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      `kube-controller-manager ${kubeLabel}`,
      undefined,
      KUBERNETES_LDFLAGS,
    );
    const helm = await goBinary(
      binDir,
      `helm-${HELM_VERSION}`,
      'helm',
      'helm.sh/helm/v3/cmd/helm',
      `helm ${HELM_VERSION}`,
    );
    const promtool = await goBinary(
      binDir,
      `promtool-${PROMETHEUS_VERSION}`,
      'prometheus',
      'github.com/prometheus/prometheus/cmd/promtool',
      `promtool ${PROMETHEUS_VERSION}`,
    );
    const prometheus = await goBinary(
      binDir,
      `prometheus-${PROMETHEUS_VERSION}`,
      'prometheus',
      'github.com/prometheus/prometheus/cmd/prometheus',
      `prometheus ${PROMETHEUS_VERSION}`,
    );
    // About 5.4 CPU-minutes cold, a 146 MiB binary: bench/RESULTS.md, "istioctl build".
    const istioctl = await goBinary(
      binDir,
      `istioctl-${ISTIO_VERSION}`,
      'istio',
      'istio.io/istio/istioctl/cmd/istioctl',
      `istioctl ${ISTIO_VERSION}`,
      { CGO_ENABLED: '0' },
    );
    return { etcd, kubeApiserver, kubeControllerManager, helm, promtool, prometheus, istioctl };
  })();
  const [binaries, crdFiles, mlflow] = await Promise.all([
    goBuilds,
    crdManifests(path.join(root, 'crds'), 'full'),
    mlflowVirtualenv(path.join(root, 'mlflow-venv')),
  ]);
  return { ...binaries, crdFiles, mlflow };
}
