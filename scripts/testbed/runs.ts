/**
 * A test-bed run: a directory under this checkout's runs folder (in the system temp dir) holding the servers' data and logs,
 * and a state.json with the pids it started and the process that owns it. A run whose owner
 * died (a crashed test run) is found and stopped by the next `up`.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './build.js';
import type { InClusterEnv } from './in-cluster.js';
import type { NodeState } from './node.js';
import { stopNode } from './node-teardown.js';
import type { PlatformImageNames } from './platform-images.js';
import { commandLine, groupMembers, isAlive, stopDaemon, type Daemon } from './processes.js';

/**
 * This checkout's runs live in a folder of their own, named after the checkout's path and the
 * user: another checkout's test beds on the same machine are never reaped or attached to.
 */
export function runsRoot(): string {
  const checkout = fileURLToPath(new URL('../..', import.meta.url));
  const key = createHash('sha256')
    .update(`${checkout}\0${process.getuid?.() ?? ''}`)
    .digest('hex')
    .slice(0, 10);
  return path.join(tmpdir(), `inquiry-testbed-${key}`);
}

/** What tests and users need to reach the test bed's servers. */
export interface TestbedEnv {
  kubeconfig: string;
  mlflowUrl: string;
  databaseUrl: string;
  runDir: string;
  helm: string;
  promtool: string;
  prometheus: string;
  /** Absent in the state of a run started before istioctl joined the test bed. */
  istioctl?: string;
  /** The S3-compatible server and its root credentials. */
  s3: { url: string; accessKeyId: string; secretAccessKey: string };
  /** Whether a node runs pods (see node.ts). */
  node: boolean;
  /** With a node: the platform's images on it (platform-images.ts). */
  platformImages?: PlatformImageNames;
  /** With a node: the servers' URLs from inside the cluster (in-cluster.ts). */
  inCluster?: InClusterEnv;
}

interface RunState {
  /** The process that owns the run: its death means the run is abandoned. Null: until `down`. */
  ownerPid: number | null;
  daemons: Daemon[];
  env?: TestbedEnv;
  /** The node's host changes, recorded before each is made (see node.ts). */
  node?: NodeState;
}

async function readState(dir: string): Promise<RunState | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

export class Run {
  private saving = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly state: RunState,
  ) {}

  /** A new run owned by this process (see `detach`). */
  static async create(): Promise<Run> {
    const ownerPid = process.pid;
    await mkdir(runsRoot(), { recursive: true, mode: 0o755 });
    const dir = await mkdtemp(path.join(runsRoot(), 'run-'));
    // PostgreSQL runs as its own user when we are root: it must be able to reach its directory.
    await chmod(dir, 0o755);
    const run = new Run(dir, { ownerPid, daemons: [] });
    await run.save();
    return run;
  }

  /** Records a started daemon before anything else can fail, so it is never left behind. */
  async record(daemon: Daemon): Promise<void> {
    this.state.daemons.push(daemon);
    await this.save();
  }

  async setNode(node: NodeState): Promise<void> {
    this.state.node = node;
    await this.save();
  }

  async setEnv(env: TestbedEnv): Promise<void> {
    this.state.env = env;
    await this.save();
  }

  /** Leaves the run up after this process exits, until `npm run testbed -- down`. */
  async detach(): Promise<void> {
    this.state.ownerPid = null;
    await this.save();
  }

  /** Stops the daemons, newest first, and keeps the directory (its data may be reused). */
  async stopDaemons(): Promise<void> {
    await this.saving.catch(() => {});
    await stopDaemonsOf(this.dir, this.state);
  }

  async remove(): Promise<void> {
    await this.stopDaemons();
    await rm(this.dir, { recursive: true, force: true });
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(() =>
      writeFile(path.join(this.dir, 'state.json'), JSON.stringify(this.state, null, 2)),
    );
    return this.saving;
  }
}

async function stopDaemonsOf(dir: string, state: RunState | undefined): Promise<void> {
  // The node first, while the API server still answers: its pods go through kubelet.
  let nodeError: Error | undefined;
  if (state?.node)
    await stopNode(dir, state.node, state.daemons).catch(
      (error: unknown) => (nodeError = error as Error),
    );
  for (const daemon of [...(state?.daemons ?? [])].reverse()) {
    // A recycled pid belongs to someone else: ours carry the run directory in their args. The
    // whole group is checked, since a crashed leader can leave its children running.
    const ours = groupMembers(daemon.pid).some((pid) => commandLine(pid)?.includes(dir));
    if (ours) await stopDaemon(daemon);
  }
  if (nodeError) throw nodeError;
}

/** Stops a run's daemons and removes its directory, from its state file alone. */
export async function stopRun(dir: string): Promise<void> {
  await stopDaemonsOf(dir, await readState(dir));
  await rm(dir, { recursive: true, force: true });
}

async function runDirs(): Promise<string[]> {
  const entries = await readdir(runsRoot()).catch(() => [] as string[]);
  return entries
    .filter((name) => name.startsWith('run-'))
    .map((name) => path.join(runsRoot(), name));
}

/**
 * Stops and removes runs whose owner died without tearing them down (a test run killed by
 * hand): this checkout's, and `also` (the run holding the machine's node, maybe another
 * checkout's). Returns the directories removed.
 */
export async function reapAbandonedRuns(also: string[] = []): Promise<string[]> {
  const reaped: string[] = [];
  for (const dir of new Set([...(await runDirs()), ...also.filter((d) => existsSync(d))])) {
    const state = await readState(dir);
    if (!state || (state.ownerPid !== null && !isAlive(state.ownerPid))) {
      progress(`cleaning up an abandoned test bed in ${dir}`);
      await stopRun(dir);
      reaped.push(dir);
    }
  }
  return reaped;
}

/** The environment of the test bed started by `npm run testbed -- up`, if it is running. */
export async function currentRun(): Promise<TestbedEnv | undefined> {
  for (const dir of await runDirs()) {
    const state = await readState(dir);
    if (state?.ownerPid === null && state.env && existsSync(state.env.kubeconfig)) return state.env;
  }
  return undefined;
}
