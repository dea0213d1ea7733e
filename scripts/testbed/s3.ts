/**
 * The test bed's S3-compatible server: the Versity S3 Gateway (a maintained Apache-2.0 S3 server
 * in Go) built from its Go module like the other servers, serving a directory of the run over
 * the S3 API on loopback. The S3 ingestion source is tested against it; no mock of S3.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { goBinary } from './build.js';
import { freePorts, startDaemon, waitUntilReady } from './processes.js';
import type { Run } from './runs.js';
import { buildDir, VERSITYGW_VERSION } from './versions.js';

export interface S3Server {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Builds the server into the cache on first use. */
export function ensureS3Binary(): Promise<string> {
  return goBinary(
    path.join(buildDir(), 'bin'),
    `versitygw-${VERSITYGW_VERSION}`,
    'versitygw',
    'github.com/versity/versitygw/cmd/versitygw',
    `versitygw ${VERSITYGW_VERSION}`,
  );
}

/** Starts the gateway on a fresh directory of the run; buckets are its subdirectories. */
export async function startS3(run: Run, binary: string): Promise<S3Server> {
  const [port] = await freePorts(1);
  const root = path.join(run.dir, 's3');
  await mkdir(root, { recursive: true });
  const server = {
    url: `http://127.0.0.1:${port}`,
    accessKeyId: 'testbed',
    secretAccessKey: 'testbed-secret',
  };
  const daemon = startDaemon({
    name: 's3',
    command: binary,
    args: [
      '--port',
      `127.0.0.1:${port}`,
      '--access',
      server.accessKeyId,
      '--secret',
      server.secretAccessKey,
      'posix',
      root,
    ],
    log: path.join(run.dir, 's3.log'),
    cwd: root,
  });
  await run.record(daemon);
  // Any HTTP answer (403 to an unsigned request) means it is serving.
  await waitUntilReady(
    daemon,
    async () => (await fetch(server.url, { signal: AbortSignal.timeout(2000) })).status > 0,
    30_000,
  );
  return server;
}
