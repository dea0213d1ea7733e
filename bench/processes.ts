/**
 * What the benchmarks that run our servers share: the compiled tree the images run, waiting for a
 * server, the bodies they submit, CPU time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The sources under `sourceRoot` (the repository, or a previous commit's tree) compiled by tsc
 * with tsconfig.build.json, as `npm run build` and the images do, into a new directory under the
 * system's temporary one (never the repository's dist/). The files read at run time go beside
 * them as in the images (the store's migrations, the CRDs), and `node_modules` links to
 * `nodeModulesRoot`'s. Returns the directory; the caller removes it.
 */
export async function compiledTree(sourceRoot: string, nodeModulesRoot: string): Promise<string> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'inquiry-bench-compiled-'));
  // tsc emits despite type errors elsewhere in the tree: its exit code is not the build's.
  spawnSync(
    process.execPath,
    [
      path.join(nodeModulesRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      outDir,
    ],
    { cwd: sourceRoot, stdio: 'ignore' },
  );
  if (!existsSync(path.join(outDir, 'lib'))) throw new Error(`tsc emitted nothing into ${outDir}`);
  await symlink(path.join(nodeModulesRoot, 'node_modules'), path.join(outDir, 'node_modules'));
  await cp(
    path.join(sourceRoot, 'lib/store/migrations'),
    path.join(outDir, 'lib/store/migrations'),
    {
      recursive: true,
    },
  );
  await cp(path.join(sourceRoot, 'crds'), path.join(outDir, 'crds'), { recursive: true });
  return outDir;
}

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
