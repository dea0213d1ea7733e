/** What the serving benchmarks share: waiting for a server, the bodies they submit, CPU time. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`${url} did not become ready`);
}

/** A new inquiry per request (a repeated one would be a duplicate, not a stored submit). */
export function submitBodies(tag: string): () => string {
  let counter = 0;
  return () => {
    counter++;
    return JSON.stringify({
      subject: `Invoice ${tag}-${counter}`,
      body: `Invoice INV-${tag}-${counter} was charged twice, please refund.`,
      sender_email: `c${counter}@example.com`,
    });
  };
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/**
 * CPU time (user + system) a process has used, in microseconds; with `children`, also that of
 * its exited and reaped children. 0 for a process that is gone.
 */
export function cpuMicros(pid: number, children = false): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, ...(children ? [13, 14] : [])].reduce(
    (sum, i) => sum + Number(fields[i]),
    0,
  );
  return (ticks * 1e6) / clockTicks;
}
