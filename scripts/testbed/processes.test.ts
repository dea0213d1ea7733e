import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  commandLine,
  freePorts,
  isAlive,
  startDaemon,
  stopDaemon,
  waitUntilReady,
} from './processes.js';

describe('test bed processes', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'processes-test-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops a daemon and every process of its group', async () => {
    const script = path.join(dir, 'parent.sh');
    // The parent starts a child that would outlive it if only the parent were signalled.
    await writeFile(script, `sleep 300 & echo $! > ${dir}/child.pid\nwait\n`);
    const daemon = startDaemon({
      name: 'parent',
      command: 'bash',
      args: [script],
      log: path.join(dir, 'parent.log'),
    });
    let childPid = 0;
    await waitUntilReady(
      daemon,
      async () => {
        const { readFile } = await import('node:fs/promises');
        childPid = Number(await readFile(path.join(dir, 'child.pid'), 'utf8'));
        return childPid > 0;
      },
      10_000,
    );
    expect(commandLine(daemon.pid)).toContain(script);
    await stopDaemon(daemon, 2_000);
    expect(isAlive(daemon.pid)).toBe(false);
    expect(isAlive(childPid)).toBe(false);
  });

  it('fails fast with the end of the log when a daemon exits during start-up', async () => {
    const daemon = startDaemon({
      name: 'broken',
      command: 'bash',
      args: ['-c', 'echo "config file missing: /etc/broken.yaml"; exit 3'],
      log: path.join(dir, 'broken.log'),
    });
    await expect(waitUntilReady(daemon, () => Promise.resolve(false), 60_000)).rejects.toThrow(
      /broken exited during start-up[\s\S]*config file missing: \/etc\/broken\.yaml/,
    );
  });

  it('hands out distinct free ports', async () => {
    const ports = await freePorts(8);
    expect(new Set(ports).size).toBe(8);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});
