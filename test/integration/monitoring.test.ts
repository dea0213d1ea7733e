/**
 * The alert rules through the real promtool, built by the test bed from the Prometheus Go module:
 * `check rules` validates the rule file as Prometheus loads it, `test rules` runs its unit tests,
 * which fire every alert from synthetic series and keep the threshold alerts silent just short
 * of their thresholds.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testbed } from './testbed.js';

const RULES_DIR = fileURLToPath(new URL('../../monitoring/rules/', import.meta.url));

/** Runs promtool in the rules folder; never throws, so a failure shows promtool's own report. */
function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(testbed.promtool, args, { cwd: RULES_DIR }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('alert rules under promtool', () => {
  it('passes promtool check rules, lint errors included', async () => {
    const result = await promtool(
      'check',
      'rules',
      '--lint=all',
      '--lint-fatal',
      'inquiry-platform.rules.yaml',
    );
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code).toBe(0);
  });

  it('passes promtool test rules', async () => {
    const result = await promtool('test', 'rules', 'inquiry-platform.rules.test.yaml');
    expect(result.output).toMatch(/^\s*SUCCESS\s*$/m);
    expect(result.code).toBe(0);
  });
});
