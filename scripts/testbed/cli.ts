/**
 * `npm run testbed -- up|down|env|status`: the test bed by hand, to try the operator without
 * a cluster. `up` leaves the servers running until `down`.
 */
import { existsSync } from 'node:fs';
import { nodeHolder } from './node.js';
import { nodeStatus } from './node-status.js';
import { reapAbandonedRuns } from './runs.js';
import { currentRun, stopRun, up, type TestbedEnv } from './testbed.js';

function exports(env: TestbedEnv): string {
  return [
    `export KUBECONFIG=${env.kubeconfig}`,
    `export MLFLOW_TRACKING_URI=${env.mlflowUrl}`,
    `export DATABASE_URL=${env.databaseUrl}`,
    `export TESTBED_HELM=${env.helm}`,
    `export TESTBED_PROMTOOL=${env.promtool}`,
    `export TESTBED_PROMETHEUS=${env.prometheus}`,
    ...(env.istioctl ? [`export TESTBED_ISTIOCTL=${env.istioctl}`] : []),
    `export AWS_ENDPOINT_URL_S3=${env.s3.url}`,
    `export AWS_ACCESS_KEY_ID=${env.s3.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${env.s3.secretAccessKey}`,
    `export TESTBED_WITH_NODE=${env.node ? 1 : 0}`,
    ...(env.platformImages
      ? [`export TESTBED_IMAGES='${JSON.stringify(env.platformImages)}'`]
      : []),
    ...(env.inCluster ? [`export TESTBED_IN_CLUSTER='${JSON.stringify(env.inCluster)}'`] : []),
  ].join('\n');
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const running = await currentRun();
      const env = running ?? (await up({ detach: true }));
      if (running) process.stderr.write('[testbed] already running\n');
      process.stdout.write(`${exports(env)}\n`);
      process.stderr.write(
        `[testbed] try: kubectl --kubeconfig ${env.kubeconfig} get nodes,crds\n` +
          '[testbed] stop it with: npm run testbed -- down\n',
      );
      return 0;
    }
    case 'down': {
      const running = await currentRun();
      if (running) {
        await stopRun(running.runDir);
        process.stderr.write(`[testbed] stopped and removed ${running.runDir}\n`);
      }
      // A test run killed before its teardown leaves its test bed, and maybe the node, behind.
      const holder = await nodeHolder();
      const reaped = await reapAbandonedRuns(holder ? [holder] : []);
      for (const dir of reaped) process.stderr.write(`[testbed] stopped abandoned ${dir}\n`);
      const still = await nodeHolder();
      if (still && existsSync(still))
        process.stderr.write(
          `[testbed] the node is still held by ${still}, a running test or another checkout's \`up\`\n`,
        );
      if (!running && reaped.length === 0) process.stderr.write('[testbed] nothing is running\n');
      return 0;
    }
    case 'env':
    case 'status': {
      const running = await currentRun();
      if (!running) {
        process.stderr.write('[testbed] not running; start it with: npm run testbed -- up\n');
        return 1;
      }
      process.stdout.write(`${exports(running)}\n`);
      if (command === 'status') process.stdout.write(`${await nodeStatus(running)}\n`);
      return 0;
    }
    default:
      process.stderr.write('usage: npm run testbed -- up|down|env|status\n');
      return 2;
  }
}

/** The error and its chain of causes, one per line: the cause usually says what to fix. */
function describe(error: unknown): string {
  const lines: string[] = [];
  for (let current: unknown = error; current !== undefined;) {
    if (current instanceof Error) {
      lines.push(lines.length === 0 ? current.message : `caused by: ${current.message}`);
      current = current.cause;
    } else {
      lines.push(`caused by: ${JSON.stringify(current)}`);
      current = undefined;
    }
  }
  return lines.join('\n');
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[testbed] failed: ${describe(error)}\n`);
    process.exitCode = 1;
  },
);
