import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../lib/logger.js';
import { PolicyHolder } from './policy-holder.js';

describe('PolicyHolder', () => {
  it('refuses a hot-reloaded policy over the bounds and keeps the one in force', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'policy-holder-'));
    const file = path.join(dir, 'routing_rules.yaml');
    const results: string[] = [];
    try {
      await writeFile(file, JSON.stringify({ defaultDepartment: 'desk' }));
      const holder = await PolicyHolder.load(file, createLogger('test', 'silent'), (result) =>
        results.push(result),
      );
      const before = holder.current.version;
      const rules = (count: number): object[] =>
        Array.from({ length: count }, (_, i) => ({
          name: `r${i}`,
          when: { urgency: ['critical'] },
          then: { escalate: true },
        }));
      await writeFile(
        file,
        JSON.stringify({ defaultDepartment: 'front-desk', escalationRules: rules(5000) }),
      );
      expect(await holder.reload()).toBe(false);
      expect(holder.current.version).toBe(before);
      expect(holder.current.spec.defaultDepartment).toBe('desk');
      // The original shape is bounded the same way.
      await writeFile(
        file,
        JSON.stringify({
          escalation_rules: rules(501).map(({ name }: { name?: string }) => ({
            name,
            conditions: { urgency: ['critical'] },
            action: { department: 'escalation' },
          })),
        }),
      );
      expect(await holder.reload()).toBe(false);
      // Too large a file is refused from its size alone.
      await writeFile(file, `# ${'x'.repeat(600 * 1024)}\ndefaultDepartment: other\n`);
      expect(await holder.reload()).toBe(false);
      expect(holder.current.spec.defaultDepartment).toBe('desk');
      await writeFile(
        file,
        JSON.stringify({ defaultDepartment: 'front-desk', escalationRules: rules(500) }),
      );
      expect(await holder.reload()).toBe(true);
      expect(holder.current.rules).toHaveLength(500);
      expect(results).toEqual(['failure', 'failure', 'failure', 'success']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
