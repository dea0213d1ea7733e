/**
 * `npm run operator`: the operator against the cluster it runs in (service account) or the
 * kubeconfig ($KUBECONFIG, ~/.kube/config). /healthz, /readyz and /metrics on OPERATOR_PORT;
 * with LEADER_ELECTION=true (the chart's default) only the replica holding the Lease reconciles.
 */
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../lib/logger.js';
import { Controller } from './controller.js';
import { LeaderElector } from './kube/leader.js';
import { createOperatorMetrics } from './metrics.js';

const logger = createLogger('inquiry-operator');

async function main(): Promise<void> {
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  const metrics = createOperatorMetrics();
  const workers = Number(process.env.OPERATOR_WORKERS ?? 8);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(
      `OPERATOR_WORKERS must be a whole number ≥ 1, not "${process.env.OPERATOR_WORKERS}"`,
    );
  const controller = new Controller(config, logger, {
    metrics,
    workers,
    ...(process.env.PROMETHEUS_URL ? { prometheusUrl: process.env.PROMETHEUS_URL } : {}),
    ...(process.env.WATCH_NAMESPACE ? { namespace: process.env.WATCH_NAMESPACE } : {}),
  });
  let ready = false;
  const port = Number(process.env.OPERATOR_PORT ?? 8081);
  const server = createServer((request, response) => {
    if (request.url === '/healthz') response.writeHead(200).end('ok');
    else if (request.url === '/readyz')
      response.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'starting');
    else if (request.url === '/metrics') {
      void metrics.registry
        .metrics()
        .then((text) =>
          response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        );
    } else response.writeHead(404).end();
  });
  server.listen(port, process.env.OPERATOR_HOST ?? '0.0.0.0');

  const startController = async (): Promise<void> => {
    await controller.start();
    ready = true;
    logger.info('reconciling InquiryPipelines and RoutingPolicies');
  };
  let elector: LeaderElector | undefined;
  let stopping = false;
  if (process.env.LEADER_ELECTION === 'true') {
    elector = new LeaderElector(config, {
      namespace: process.env.POD_NAMESPACE ?? 'inquiry-system',
      name: 'inquiry-operator',
      identity: process.env.POD_NAME ?? `${hostname()}-${process.pid}`,
    });
    ready = true; // a standby is ready: it serves probes and waits for the Lease
    void elector
      .run(
        () => {
          metrics.leader.set(1);
          logger.info('elected leader');
          startController().catch((error: unknown) => fail(error));
        },
        (error) => logger.warn({ error: String(error) }, 'leader election'),
      )
      .then(() => {
        if (stopping) return;
        metrics.leader.set(0);
        // Lost the Lease: exit so that this replica restarts clean, as a candidate.
        logger.error('leadership lost; exiting');
        process.exit(1);
      });
  } else {
    await startController();
  }

  /**
   * Readiness false, leadership released, workers stopped (bounded by SHUTDOWN_GRACE_MS, below
   * the pod's grace period), the probe server closed; exit 0 when every step finished in time.
   */
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    ready = false;
    const graceMs = Number(process.env.SHUTDOWN_GRACE_MS ?? 20_000);
    logger.info({ graceMs }, 'shutting down');
    const steps = (async () => {
      await elector?.stop({ release: true });
      await controller.stop();
    })();
    const deadline = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), graceMs).unref(),
    );
    let code = 0;
    try {
      if ((await Promise.race([steps, deadline])) === 'timeout') {
        logger.warn({ graceMs }, 'shutdown: grace period over before the workers stopped');
        code = 1;
      }
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    server.closeAllConnections();
    server.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

function fail(error: unknown): never {
  logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}

main().catch(fail);
