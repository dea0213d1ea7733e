/**
 * What the node needs from the machine: root, and the Debian packages of its runtime. Missing
 * packages are installed with apt-get when running as root; otherwise the error says what to do.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { runLong } from './build.js';

const execFileAsync = promisify(execFile);

/** A file each Debian package installs, by package: its presence means the package is there. */
const NODE_PACKAGES: Record<string, string> = {
  containerd: '/usr/bin/containerd',
  runc: '/usr/sbin/runc',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  iptables: '/usr/sbin/iptables',
  socat: '/usr/bin/socat',
  debootstrap: '/usr/sbin/debootstrap',
  iproute2: '/usr/sbin/ip',
};

/** The CNI plugins' directory (Debian's containernetworking-plugins). */
export const CNI_BIN_DIR = '/usr/lib/cni';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The node's packages that are not installed. */
export function missingPackages(): string[] {
  return Object.entries(NODE_PACKAGES)
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name);
}

/** Installs the missing packages (as root), or throws one line saying what to install. */
export async function ensureNodePackages(): Promise<void> {
  const missing = missingPackages();
  if (missing.length === 0) return;
  if (!isRoot()) {
    throw new Error(
      `the node needs these Debian packages: ${missing.join(' ')}; install them with ` +
        `\`sudo apt-get install ${missing.join(' ')}\`, or start without a node: TESTBED_NODE=0`,
    );
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await runLong('apt-get update (for the node packages)', 'apt-get', ['update', '-qq'], '/', env);
  await runLong(
    `apt-get install ${missing.join(' ')}`,
    'apt-get',
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
    '/',
    env,
  );
}

/** Runs a host command (ip, iptables, sysctl, …) and returns its stdout; errors name the command. */
export async function host(command: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, {
      cause,
    });
  }
}
