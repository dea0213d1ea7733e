/**
 * Progress of a long step: a cli-progress bar on a terminal, JSON log lines (at most one per
 * 10 % and per stage) when stderr is not a TTY, as in a container run by Argo.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Logger } from '../../../lib/logger.js';

export interface Progress {
  /** Starts a stage of `total` units (a new bar, or a log line). */
  stage(name: string, total: number): void;
  update(done: number, detail?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(
  logger: Logger,
  interactive = Boolean(process.stderr.isTTY),
): Progress {
  if (interactive) {
    let bar: SingleBar | undefined;
    return {
      stage(name, total) {
        bar?.stop();
        bar = new SingleBar(
          {
            format: `${name.padEnd(24)} [{bar}] {percentage}% | {value}/{total} {detail}`,
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(total, 0, { detail: '' });
      },
      update(done, detail = {}) {
        const text = Object.entries(detail)
          .map(([key, value]) => `${key} ${typeof value === 'number' ? value.toFixed(4) : value}`)
          .join(' ');
        bar?.update(done, { detail: text });
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
  let current = { name: '', total: 0, lastDecile: -1 };
  return {
    stage(name, total) {
      current = { name, total, lastDecile: -1 };
      logger.info({ stage: name, total }, `${name} started`);
    },
    update(done, detail = {}) {
      const decile = current.total === 0 ? 10 : Math.floor((done / current.total) * 10);
      if (decile === current.lastDecile) return;
      current.lastDecile = decile;
      logger.info(
        { stage: current.name, done, total: current.total, ...detail },
        `${current.name} ${decile * 10}%`,
      );
    },
    stop() {},
  };
}
