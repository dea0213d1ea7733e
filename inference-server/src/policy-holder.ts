/**
 * The routing policy in force, reloaded when its file changes (a local YAML file, or the
 * ConfigMap file in a pod, which Kubernetes replaces through a symlink swap). An invalid new
 * policy is refused and the old one kept, with a log line and a metric saying so.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { loadPolicyFile, type Policy, type PolicyOptions } from '../../lib/routing/policy.js';

export class PolicyHolder {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;

  private constructor(
    private policy: Policy,
    private readonly file: string,
    private readonly logger: Logger,
    private readonly onReload: (result: 'success' | 'failure') => void,
    private readonly options: PolicyOptions,
  ) {}

  /** Loads the file (an invalid one at start-up is an error: there is no old policy to keep). */
  static async load(
    file: string,
    logger: Logger,
    onReload: (result: 'success' | 'failure') => void = () => {},
    options: PolicyOptions = {},
  ): Promise<PolicyHolder> {
    const policy = await loadPolicyFile(file, options);
    logger.info(
      { file, version: policy.version, rules: policy.rules.length },
      'routing policy loaded',
    );
    return new PolicyHolder(policy, file, logger, onReload, options);
  }

  get current(): Policy {
    return this.policy;
  }

  /** Reads the file again; keeps the current policy when the new one is invalid or too large. */
  async reload(): Promise<boolean> {
    try {
      const next = await loadPolicyFile(this.file, this.options);
      if (next.version !== this.policy.version) {
        this.policy = next;
        this.logger.info({ file: this.file, version: next.version }, 'routing policy reloaded');
      }
      this.onReload('success');
      return true;
    } catch (error) {
      this.logger.warn(
        {
          file: this.file,
          error: error instanceof Error ? error.message : String(error),
          keeping: this.policy.version,
        },
        'new routing policy refused; the previous one stays in force',
      );
      this.onReload('failure');
      return false;
    }
  }

  /** Watches the file's directory (symlink swaps replace the file, not its content). */
  watch(): void {
    this.watcher = watch(path.dirname(this.file), () => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload(), 100);
    });
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
  }
}
