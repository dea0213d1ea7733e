/**
 * Background server processes of the test bed: started detached in their own process group
 * with output to a log file, stopped by pid (the whole group), and waited on with a deadline.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Daemon {
  name: string;
  pid: number;
  log: string;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

/** Starts a process that outlives this one; its group id equals its pid. */
export function startDaemon(spec: DaemonSpec): Daemon {
  const out = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${spec.name} (${spec.command}): see ${spec.log}`);
    }
    child.unref();
    return { name: spec.name, pid: child.pid, log: spec.log };
  } finally {
    closeSync(out);
  }
}

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, … */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True while the process runs; a zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** Live processes whose /proc stat fields (from the state on) match, read from /proc. */
function liveProcesses(matches: (fields: string[]) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const fields = statFields(entry);
      return fields !== undefined && fields[0] !== 'Z' && matches(fields);
    })
    .map(Number);
}

/** Live processes of a process group. */
export function groupMembers(pgid: number): number[] {
  return liveProcesses((fields) => Number(fields[2]) === pgid);
}

/** The live children of `pid` (PostgreSQL's are each in a session of their own, not its group). */
export function childrenOf(pid: number): number[] {
  return liveProcesses((fields) => Number(fields[1]) === pid);
}

/** The command line of a live process, or undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * SIGTERM to the daemon's process group, then SIGKILL after `graceMs` to whatever of the group
 * is still there; returns once no process of the group is left.
 */
export async function stopDaemon(daemon: Daemon, graceMs = 10_000): Promise<void> {
  signalGroup(daemon.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupMembers(daemon.pid).length > 0 && Date.now() < deadline) await sleep(100);
  while (groupMembers(daemon.pid).length > 0) {
    signalGroup(daemon.pid, 'SIGKILL');
    await sleep(50);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls `probe` until it returns true. Fails early, with the end of its log, when the daemon
 * exits, and after `timeoutMs` otherwise.
 */
export async function waitUntilReady(
  daemon: Daemon,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (!isAlive(daemon.pid)) {
      throw new Error(
        `${daemon.name} exited during start-up; end of ${daemon.log}:\n${tail(daemon.log)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${daemon.name} was not ready after ${timeoutMs / 1000}s; end of ${daemon.log}:\n${tail(daemon.log)}`,
      );
    }
    await sleep(200);
  }
}

function listenOnAnyPort(): Promise<ReturnType<typeof createServer>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** `count` distinct TCP ports free on loopback right now (held open together, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, listenOnAnyPort));
  const ports = servers.map((server) => {
    const address = server.address();
    if (!address || typeof address !== 'object')
      throw new Error('could not allocate a loopback port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
