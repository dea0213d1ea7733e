import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAlive, startDaemon, stopDaemon } from './processes.js';
import { Run, reapAbandonedRuns } from './runs.js';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync('bash', ['-c', 'echo $$']);
  return Number(child.stdout.toString().trim());
}

describe('test bed runs', () => {
  it('reaps a run whose owner died: its daemons are stopped and its directory removed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'inquiry-testbed-'));
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
});
