import { spawnSync } from 'node:child_process';
import path from 'node:path';

describe('createLogger', () => {
  it('writes JSON lines to stderr and redacts personal data at any depth', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(path.resolve('lib/logger.ts'))};
      const log = createLogger('test');
      log.info({ inquiry: { id: 7, sender_email: 'ann@example.com', body: 'my secret' }, subject: 'hi' }, 'stored');
    `;
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(result.stdout).toBe('');
    const line = JSON.parse(result.stderr.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({
      component: 'test',
      msg: 'stored',
      subject: '[redacted]',
      inquiry: { id: 7, sender_email: '[redacted]', body: '[redacted]' },
    });
    expect(result.stderr).not.toContain('ann@example.com');
    expect(result.stderr).not.toContain('my secret');
  });
});
