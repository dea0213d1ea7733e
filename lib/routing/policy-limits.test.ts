import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  loadPolicyFile,
  parsePolicyYaml,
  PolicyError,
  policySpecOf,
  resolvePolicy,
} from './policy.js';
import { POLICY_LIMITS, routingPolicySpecSchema } from './policy-limits.js';

const rule = (i: number, keywords = 1): object => ({
  name: `rule-${i}`,
  when: { keywords: Array.from({ length: keywords }, (_, k) => `word${i}x${k}`) },
  then: { escalate: true },
});

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error('the policy was accepted');
}

describe('routing policy bounds', () => {
  it('are the CRD schema’s own, with the totals its CEL rules check', () => {
    const fields = routingPolicySpecSchema.properties!;
    expect(POLICY_LIMITS).toMatchObject({
      escalationRules: fields.escalationRules!.maxItems,
      departments: fields.departments!.maxItems,
      consultantPools: fields.consultantPools!.maxItems,
    });
    const cel = (field: string): string =>
      JSON.stringify(fields[field]!['x-kubernetes-validations']);
    expect(cel('consultantPools')).toContain(`<= ${POLICY_LIMITS.consultants}`);
    expect(cel('consultantPools')).toContain(`at most ${POLICY_LIMITS.consultants} are allowed`);
    expect(cel('escalationRules')).toContain(`<= ${POLICY_LIMITS.keywords}`);
    expect(cel('escalationRules')).toContain(`at most ${POLICY_LIMITS.keywords} are allowed`);
  });

  it('accept a policy at every count bound', () => {
    const policy = resolvePolicy({
      defaultDepartment: 'desk',
      escalationRules: Array.from({ length: POLICY_LIMITS.escalationRules }, (_, i) =>
        rule(i, POLICY_LIMITS.keywords / POLICY_LIMITS.escalationRules),
      ),
      departments: Array.from({ length: POLICY_LIMITS.departments }, (_, i) => ({
        category: `c${i}`,
        department: 'd',
      })),
    });
    expect(policy.rules).toHaveLength(500);
  });

  it('refuse each count over its bound in a sentence that names the count and the bound', () => {
    expect(
      refusal(() =>
        resolvePolicy({
          defaultDepartment: 'desk',
          escalationRules: Array.from({ length: 5000 }, (_, i) => rule(i)),
        }),
      ),
    ).toBe(
      'routing policy refused: policy has 5,000 escalation rules; at most 500 are allowed; policy has 5,000 keywords in its escalation rules; at most 2,000 are allowed',
    );
    expect(
      refusal(() =>
        resolvePolicy({
          defaultDepartment: 'desk',
          departments: Array.from({ length: 1001 }, (_, i) => ({
            category: `c${i}`,
            department: 'd',
          })),
          consultantPools: Array.from({ length: 101 }, (_, i) => ({
            name: `p${i}`,
            consultants: Array.from({ length: 50 }, (_, c) => `c${c}`),
          })),
        }),
      ),
    ).toBe(
      'routing policy refused: policy maps 1,001 categories to departments; at most 1,000 are allowed; policy has 101 consultant pools; at most 100 are allowed; policy has 5,050 consultants in its pools; at most 5,000 are allowed',
    );
    expect(
      refusal(() =>
        resolvePolicy({
          defaultDepartment: 'desk',
          escalationRules: Array.from({ length: 11 }, (_, i) => rule(i, 200)),
        }),
      ),
    ).toContain('policy has 2,200 keywords in its escalation rules; at most 2,000 are allowed');
  });

  it('refuse a spec over the byte bound, and a file over its bound before parsing it', () => {
    const big = {
      defaultDepartment: 'desk',
      departments: Array.from({ length: 1000 }, (_, i) => ({
        category: `category-${i}`.padEnd(120, 'x'),
        department: 'd'.repeat(120),
      })),
    };
    expect(refusal(() => resolvePolicy(big))).toMatch(
      /^routing policy refused: policy is 2\d\d,\d\d\d bytes as JSON; at most 262,144 \(256 KiB\) are allowed$/,
    );
    // Not YAML at all: the size alone refuses it, so it was never parsed.
    const huge = `defaultDepartment: [${'x'.repeat(POLICY_LIMITS.fileBytes)}`;
    expect(refusal(() => parsePolicyYaml(huge))).toBe(
      `routing policy refused: policy file is ${(POLICY_LIMITS.fileBytes + 20).toLocaleString('en-US')} bytes; at most 524,288 (512 KiB) are allowed`,
    );
  });

  it('refuse the original routing_rules.yaml shape over the bounds', () => {
    const original = {
      category_to_department: Object.fromEntries(
        Array.from({ length: 1001 }, (_, i) => [`c${i}`, 'd']),
      ),
      escalation_rules: Array.from({ length: 501 }, (_, i) => ({
        name: `r${i}`,
        conditions: { urgency: ['critical'] },
        action: { department: 'escalation' },
      })),
    };
    expect(refusal(() => parsePolicyYaml(stringify(original)))).toBe(
      'invalid routing rules (read as the original routing_rules.yaml shape, which category_to_department or escalation_rules mark): routing rules have 501 escalation_rules; at most 500 are allowed; routing rules map 1,001 categories in category_to_department; at most 1,000 are allowed',
    );
    expect(() => policySpecOf({ ...original, escalation_rules: [] })).toThrow(
      'routing rules map 1,001 categories in category_to_department',
    );
  });

  it('list at most ten schema problems, then how many more', () => {
    const message = refusal(() =>
      resolvePolicy({
        defaultDepartment: 'desk',
        escalationRules: Array.from({ length: 30 }, (_, i) => ({
          name: `r${i}`,
          when: { keywords: ['k'.repeat(101)] },
          then: {},
        })),
      }),
    );
    expect(message).toContain(
      'spec.escalationRules.0.when.keywords.0 must NOT have more than 100 characters',
    );
    expect(message.match(/must NOT have more than 100 characters/g)).toHaveLength(10);
    expect(message).toMatch(/; and 20 more$/);
  });

  it('read a JSON policy file as JSON, the same policy as its YAML', () => {
    const spec = { defaultDepartment: 'desk', escalationRules: [rule(1)] };
    expect(parsePolicyYaml(JSON.stringify(spec, null, 2)).version).toBe(
      parsePolicyYaml(stringify(spec)).version,
    );
    // A JSON mistake still gets a parser's message.
    expect(refusal(() => parsePolicyYaml('{ "defaultDepartment": "desk"'))).toMatch(
      /^routing policy is not valid YAML/,
    );
  });

  it('refuse a policy file over the bound from its size, without reading it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'policy-limits-'));
    try {
      const file = path.join(dir, 'routing_rules.yaml');
      await writeFile(file, `# ${'x'.repeat(POLICY_LIMITS.fileBytes)}\ndefaultDepartment: desk\n`);
      await expect(loadPolicyFile(file)).rejects.toThrow(
        `routing policy refused: policy file ${file} is 524,315 bytes; at most 524,288 (512 KiB) are allowed`,
      );
      await writeFile(file, 'defaultDepartment: desk\n');
      expect((await loadPolicyFile(file)).spec.defaultDepartment).toBe('desk');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
