/**
 * SIGTERM (Kubernetes stopping a step's pod, Argo terminating a Workflow) and SIGINT for the
 * pipeline steps. The first signal aborts `stopSignal`: steps that work in batches (ingest,
 * classify-batch) commit or roll back the batch in hand, stop taking new ones, close their pool
 * and exit `EXIT_STOPPED`; a step without batches finishes its work. Whatever still runs after
 * `PIPELINE_SHUTDOWN_GRACE_MS` (default 20 s, under a pod's default 30 s grace period), or when a
 * second signal comes, ends at once with the same code.
 */
import type { Logger } from '../../../lib/logger.js';

/** 128 + SIGTERM's 15, as a shell reports a process that SIGTERM ended: Argo marks the step failed. */
export const EXIT_STOPPED = 143;

export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

export interface StepShutdown {
  /** Aborted at the first SIGTERM or SIGINT. */
  signal: AbortSignal;
  /** Call when the step has stopped cleanly: sets the exit code if a signal stopped it. */
  settle: () => void;
}

/** Installs the handlers once per process; `graceMs` comes from PIPELINE_SHUTDOWN_GRACE_MS. */
export function installStepShutdown(
  logger: Logger,
  graceMs = shutdownGraceFromEnv(),
  exit: (code: number) => never = (code) => process.exit(code),
): StepShutdown {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, 'second signal: stopping at once');
      exit(EXIT_STOPPED);
    }
    logger.warn(
      { signal, graceMs },
      'stopping: the batch in hand is finished or rolled back, no new one starts',
    );
    controller.abort(new Error(`stopped by ${signal}`));
    setTimeout(() => {
      logger.error({ graceMs }, 'the step did not stop within the grace period; exiting');
      exit(EXIT_STOPPED);
    }, graceMs).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    settle: () => {
      if (controller.signal.aborted) process.exitCode = EXIT_STOPPED;
    },
  };
}

export function shutdownGraceFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PIPELINE_SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SHUTDOWN_GRACE_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(
      `PIPELINE_SHUTDOWN_GRACE_MS must be a whole number of milliseconds, not "${raw}"`,
    );
  return value;
}
