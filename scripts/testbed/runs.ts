/**
 * A test-bed run: a directory under the system temp dir holding the servers' data and logs,
 * and a state.json with the pids it started and the process that owns it. A run whose owner
 * died (a crashed test run) is found and stopped by the next `up`.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { progress } from './build.js';
import { commandLine, groupMembers, isAlive, stopDaemon, type Daemon } from './processes.js';

const RUN_PREFIX = 'inquiry-testbed-';

/** What tests and users need to reach the test bed's servers. */
export interface TestbedEnv {
  kubeconfig: string;
  mlflowUrl: string;
  databaseUrl: string;
  runDir: string;
  helm: string;
  promtool: string;
  prometheus: string;
  /** The S3-compatible server and its root credentials. */
  s3: { url: string; accessKeyId: string; secretAccessKey: string };
}

interface RunState {
  /** The process that owns the run: its death means the run is abandoned. Null: until `down`. */
  ownerPid: number | null;
  daemons: Daemon[];
  env?: TestbedEnv;
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
    const dir = await mkdtemp(path.join(tmpdir(), RUN_PREFIX));
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
  for (const daemon of [...(state?.daemons ?? [])].reverse()) {
    // A recycled pid belongs to someone else: ours carry the run directory in their args. The
    // whole group is checked, since a crashed leader can leave its children running.
    const ours = groupMembers(daemon.pid).some((pid) => commandLine(pid)?.includes(dir));
    if (ours) await stopDaemon(daemon);
  }
}

/** Stops a run's daemons and removes its directory, from its state file alone. */
export async function stopRun(dir: string): Promise<void> {
  await stopDaemonsOf(dir, await readState(dir));
  await rm(dir, { recursive: true, force: true });
}

async function runDirs(): Promise<string[]> {
  const entries = await readdir(tmpdir()).catch(() => [] as string[]);
  return entries
    .filter((name) => name.startsWith(RUN_PREFIX))
    .map((name) => path.join(tmpdir(), name));
}

/** Stops and removes runs whose owner died without tearing them down. */
export async function reapAbandonedRuns(): Promise<void> {
  for (const dir of await runDirs()) {
    const state = await readState(dir);
    if (!state || (state.ownerPid !== null && !isAlive(state.ownerPid))) {
      progress(`cleaning up an abandoned test bed in ${dir}`);
      await stopRun(dir);
    }
  }
}

/** The environment of the test bed started by `npm run testbed -- up`, if it is running. */
export async function currentRun(): Promise<TestbedEnv | undefined> {
  for (const dir of await runDirs()) {
    const state = await readState(dir);
    if (state?.ownerPid === null && state.env && existsSync(state.env.kubeconfig)) return state.env;
  }
  return undefined;
}
