/**
 * What the routing policy bounds (lib/routing/policy-limits.ts) cost at their limit: a policy with
 * every count at its bound (1,000 departments, 100 pools, 500 escalation rules with 2,000
 * keywords in all) and as many consultants as the byte bound leaves room for, against the default
 * policy, in one run: YAML parse + resolve time (what a hot reload blocks the event loop for),
 * routing time per inquiry (what each submit pays) and heap growth.
 * `npm run bench:policy-bounds`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { stringify } from 'yaml';
import { ConsultantAssigner, route, type RoutingInput } from '../lib/routing/engine.js';
import { parsePolicyYaml, type Policy } from '../lib/routing/policy.js';
import { POLICY_LIMITS } from '../lib/routing/policy-limits.js';

function largestPolicy(consultantsPerPool: number): object {
  const rules = POLICY_LIMITS.escalationRules;
  const keywordsPerRule = POLICY_LIMITS.keywords / rules;
  const pools = POLICY_LIMITS.consultantPools;
  return {
    defaultDepartment: 'customer-service',
    departments: Array.from({ length: POLICY_LIMITS.departments }, (_, i) => ({
      category: `category-${i}`,
      department: `department-${i % 50}`,
      consultantPool: `pool-${i % pools}`,
    })),
    consultantPools: Array.from({ length: pools }, (_, p) => ({
      name: `pool-${p}`,
      consultants: Array.from({ length: consultantsPerPool }, (_, c) => `consultant-${p}-${c}`),
    })),
    escalationRules: Array.from({ length: rules }, (_, r) => ({
      name: `rule-${r}`,
      when: {
        category: [`category-${r % 1000}`, `category-${(r + 500) % 1000}`],
        keywords: Array.from({ length: keywordsPerRule }, (_, k) => `keyword ${r}-${k}`),
      },
      then: { escalate: true, priorityBoost: 5 },
    })),
  };
}

/** Every count at its bound but the consultants: as many of them as the byte bound leaves room for. */
function largestWithinBytes(): object {
  for (let n = POLICY_LIMITS.consultants / POLICY_LIMITS.consultantPools; n > 1; n--) {
    const policy = largestPolicy(n);
    if (Buffer.byteLength(JSON.stringify(policy)) <= POLICY_LIMITS.specBytes) return policy;
  }
  throw new Error('the other bounds alone exceed the byte bound');
}

const text = 'My invoice from last month is wrong and I would like a refund, please. '
  .repeat(30)
  .slice(0, 2000);
const input = (i: number): RoutingInput => ({
  category: { label: `category-${(i * 7919) % 1000}`, confidence: 0.9 },
  sentiment: { label: 'neutral', confidence: 0.9 },
  urgency: { label: 'medium', confidence: 0.9, source: 'model', matchedTerms: [] },
  text,
  senderEmail: 'someone@example.com',
  receivedAt: new Date('2026-01-01T10:00:00Z'),
});

function measure(name: string, yaml: string): Record<string, string | number> {
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const policy: Policy = parsePolicyYaml(yaml);
  const loadMs = performance.now() - started;
  const assigner = new ConsultantAssigner();
  for (let i = 0; i < 500; i++) route(input(i), policy, assigner.assign);
  const calls = 5000;
  started = performance.now();
  for (let i = 0; i < calls; i++) route(input(i), policy, assigner.assign);
  const routeUs = ((performance.now() - started) * 1000) / calls;
  return {
    policy: name,
    yamlBytes: Buffer.byteLength(yaml),
    specJsonBytes: Buffer.byteLength(JSON.stringify(policy.spec)),
    rules: policy.rules.length,
    consultants: [...policy.pools.values()].reduce((sum, pool) => sum + pool.length, 0),
    loadMs: Math.round(loadMs * 10) / 10,
    routeUsPerInquiry: Math.round(routeUs),
    heapGrowthMb: Math.round(((process.memoryUsage().heapUsed - heapBefore) / 1e6) * 10) / 10,
  };
}

const defaultYaml = readFileSync(new URL('../config/routing_rules.yaml', import.meta.url), 'utf8');
const rows = [
  measure('config/routing_rules.yaml', defaultYaml),
  measure('every bound reached', stringify(largestWithinBytes())),
];
console.log(
  JSON.stringify(
    {
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
      limits: POLICY_LIMITS,
      rows,
      routeRatio:
        Math.round((Number(rows[1]!.routeUsPerInquiry) / Number(rows[0]!.routeUsPerInquiry)) * 10) /
        10,
    },
    null,
    2,
  ),
);
