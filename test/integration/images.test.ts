/**
 * The container images without a container engine: each Dockerfile's runtime stage is laid out
 * on disk as `docker build` would (scripts/testbed/dockerfile.ts, which also builds the test
 * bed's platform images) and the result is run on the host: the pipeline steps train a bundle, the
 * inference server classifies with it against PostgreSQL, the operator reconciles a
 * RoutingPolicy against the API server. A file the image forgets fails here; a RUN line this
 * emulation does not know fails too, so it cannot silently fall behind the Dockerfiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { buildContext, layOutRuntimeStage } from '../../scripts/testbed/dockerfile.js';
import { freePorts } from '../../scripts/testbed/processes.js';
import {
  createTestDatabase,
  eventually,
  installPlatformCrds,
  SMALL_MODEL_FLAGS,
  testbed,
} from './testbed.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NAMESPACE = 'images';

/** Processes started here, stopped after the tests. */
const started: ChildProcess[] = [];

/**
 * Starts `command`; `env` given, it sees only PATH and `env` (an image's environment), else
 * this process's environment.
 */
function start(
  command: string,
  args: string[],
  { env, cwd }: { env?: Record<string, string>; cwd?: string } = {},
) {
  const child = spawn(command, args, {
    cwd,
    env: env ? { PATH: process.env.PATH!, ...env } : process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let log = '';
  child.stdout.on(
    'data',
    (chunk: Buffer) => ((stdout += chunk.toString()), (log += chunk.toString())),
  );
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  started.push(child);
  return { child, log: () => log, stdout: () => stdout };
}

/** Runs `command` to its end; its stdout, or an error with its output when it fails. */
async function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const { child, log, stdout } = start(command, args, options);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', resolve);
  });
  if (code !== 0)
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} exited ${code}: ${log().slice(-2000)}`,
    );
  return stdout();
}

describe('container images, laid out as docker build would and run', () => {
  let work: string;
  /** The build stage's /src after `npm run build`. */
  let built: string;
  /** One `npm ci --omit=dev` (the three images install the same package.json). */
  let productionModules: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'images-'));
    built = path.join(work, 'src');
    for (const file of await buildContext(root)) {
      await mkdir(path.dirname(path.join(built, file)), { recursive: true });
      await cp(path.join(root, file), path.join(built, file), { verbatimSymlinks: true });
    }
    // The build stage's `npm ci` (all dependencies): the repository's own install.
    await symlink(path.join(root, 'node_modules'), path.join(built, 'node_modules'));
    await run('npm', ['run', 'build'], { cwd: built });
    productionModules = path.join(work, 'production');
    await mkdir(productionModules);
    for (const file of ['package.json', 'package-lock.json'])
      await cp(path.join(root, file), path.join(productionModules, file));
    await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: productionModules,
    });
  }, 300_000);

  afterAll(async () => {
    for (const child of started) child.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  });

  /**
   * The runtime stage of `docker/<name>.Dockerfile` in a directory standing for `/`: returns
   * its `/usr/local/bin` commands and environment, having checked its user.
   */
  async function layOut(name: string) {
    const image = path.join(work, name);
    const stage = await layOutRuntimeStage(
      await readFile(path.join(root, `docker/${name}.Dockerfile`), 'utf8'),
      {
        context: root,
        built,
        rootfs: image,
        installModules: (appDir) =>
          symlink(path.join(productionModules, 'node_modules'), path.join(appDir, 'node_modules')),
        // The image's absolute paths point into this layout.
        wrapper: (script) => script.replaceAll(' /app/', ` ${image}/app/`),
      },
    );
    expect(stage.user).toMatch(/^[1-9]\d*:[1-9]\d*$/); // a numeric, non-root user and group
    const command = (bin: string) => path.join(image, 'usr/local/bin', bin);
    return {
      command,
      env: { ...stage.env, HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') },
    };
  }

  /** Waits for `url` to answer 200; fails at once if the process ends, with its log. */
  async function answering(
    url: string,
    { child, log }: { child: ChildProcess; log: () => string },
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`exited with code ${child.exitCode} before ${url} answered: ${log()}`);
      if (
        await fetch(url).then(
          (response) => response.ok,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer within ${timeoutMs} ms: ${log().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('pipelines and inference-server: the steps train a bundle, the server classifies with it', async () => {
    const pipelines = await layOut('pipelines');
    const data = path.join(work, 'inquiries.jsonl');
    const bundle = path.join(work, 'bundle');
    await run(
      pipelines.command('inquiry-pipeline'),
      ['generate', '--n', '1500', '--seed', '5', '--out', data],
      { env: pipelines.env },
    );
    await run(
      pipelines.command('inquiry-pipeline'),
      ['train', '--data', data, '--out', bundle, ...SMALL_MODEL_FLAGS],
      { env: pipelines.env },
    );

    const server = await layOut('inference-server');
    // The retrain step runs the pipeline's image (this one): its off-topic text is in there too.
    const retrained = JSON.parse(
      await run(
        server.command('inquiry-pipeline'),
        [
          'train',
          '--data',
          data,
          '--out-of-scope',
          'builtin',
          '--out',
          path.join(work, 'retrained'),
          ...SMALL_MODEL_FLAGS,
        ],
        { env: server.env },
      ),
    ) as { outlierExamples?: string };
    expect(retrained.outlierExamples).toMatch(/^category: \d+$/);
    const database = await createTestDatabase('images');
    try {
      const [port] = (await freePorts(1)) as [number];
      const server$ = start(server.command('inquiry-server'), [], {
        env: {
          ...server.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          MODEL_DIR: bundle,
          DATABASE_URL: database.url,
          LOG_LEVEL: 'warn',
        },
      });
      await answering(`http://127.0.0.1:${port}/readyz`, server$);
      const answer = await fetch(`http://127.0.0.1:${port}/api/v1/inquiries/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify('Our invoice charged us twice, please refund'),
      });
      expect(answer.status).toBe(200);
      expect(JSON.stringify(await answer.json())).toContain('category');
    } finally {
      await database.drop();
    }
  }, 240_000);

  it('operator: reconciles a RoutingPolicy into its ConfigMap against the API server', async () => {
    await installPlatformCrds();
    const kc = testbed.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const operator = await layOut('operator');
    const [port] = (await freePorts(1)) as [number];
    const operator$ = start(operator.command('inquiry-operator'), [], {
      env: {
        ...operator.env,
        KUBECONFIG: testbed.kubeconfig,
        WATCH_NAMESPACE: NAMESPACE,
        OPERATOR_PORT: String(port),
        OPERATOR_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
    });
    await answering(`http://127.0.0.1:${port}/readyz`, operator$);
    await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
      group: 'inquiries.mlops.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'routingpolicies',
      body: {
        apiVersion: 'inquiries.mlops.io/v1alpha1',
        kind: 'RoutingPolicy',
        metadata: { name: 'desk' },
        spec: { defaultDepartment: 'front-desk' },
      },
    });
    const configMap = await eventually('the policy ConfigMap', () =>
      core.readNamespacedConfigMap({ name: 'desk-routing', namespace: NAMESPACE }),
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}; the operator's log: ${operator$.log().slice(-2000)}`,
        {
          cause: error,
        },
      );
    });
    expect(configMap.data!['routing_rules.yaml']).toContain('front-desk');
  });
});
