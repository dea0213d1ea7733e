import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive, startDaemon, stopDaemon } from './processes.js';
import { Run, currentRun, reapAbandonedRuns, runsRoot } from './runs.js';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync('bash', ['-c', 'echo $$']);
  return Number(child.stdout.toString().trim());
}

describe('test bed runs', () => {
  it('reaps a run whose owner died: its daemons are stopped and its directory removed', async () => {
    await mkdir(runsRoot(), { recursive: true });
    const dir = await mkdtemp(path.join(runsRoot(), 'run-'));
    const daemon = startDaemon({
      name: 'orphan',
      command: 'bash',
      // The run directory in the arguments is how the reaper knows the process is ours.
      args: ['-c', 'sleep 300; true', dir],
      log: path.join(dir, 'orphan.log'),
    });
    await writeFile(
      path.join(dir, 'state.json'),
      JSON.stringify({ ownerPid: deadPid(), daemons: [daemon] }),
    );
    try {
      await reapAbandonedRuns();
      expect(isAlive(daemon.pid)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await stopDaemon(daemon, 100);
    }
  });

  it('leaves alone a run whose owner is alive, and one detached until `down`', async () => {
    const owned = await Run.create();
    const detached = await Run.create();
    await detached.detach();
    try {
      await reapAbandonedRuns();
      expect(existsSync(owned.dir)).toBe(true);
      expect(existsSync(detached.dir)).toBe(true);
    } finally {
      await owned.remove();
      await detached.remove();
    }
  });

  it("neither reaps nor attaches to another checkout's runs", async () => {
    const other = path.join(path.dirname(runsRoot()), 'inquiry-testbed-0000000000');
    await mkdir(other, { recursive: true });
    const abandoned = await mkdtemp(path.join(other, 'run-'));
    await writeFile(
      path.join(abandoned, 'state.json'),
      JSON.stringify({ ownerPid: deadPid(), daemons: [] }),
    );
    const detached = await mkdtemp(path.join(other, 'run-'));
    const kubeconfig = path.join(detached, 'kubeconfig');
    await writeFile(kubeconfig, '{}');
    await writeFile(
      path.join(detached, 'state.json'),
      JSON.stringify({ ownerPid: null, daemons: [], env: { kubeconfig, runDir: detached } }),
    );
    try {
      await reapAbandonedRuns();
      expect(existsSync(abandoned)).toBe(true);
      expect((await currentRun())?.runDir).not.toBe(detached);
      // Named (the run holding the machine's node): abandoned, it goes; detached, it stays.
      expect(await reapAbandonedRuns([abandoned, detached])).toEqual([abandoned]);
      expect(existsSync(abandoned)).toBe(false);
      expect(existsSync(detached)).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
