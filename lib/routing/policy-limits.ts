/**
 * How large a routing policy may be. Every submit runs the escalation rules in order and tests
 * their keywords, and the server keeps the resolved policy in memory: an unbounded policy turns
 * into RSS and latency. The CRD (crds/routingpolicies.yaml) holds the bounds (maxItems, and CEL
 * rules for the totals); this module reads them from there, adds the byte bound a schema cannot
 * say, and checks them before the schema is, so a huge document is refused by a count, in a
 * sentence, without validating every item of it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface SchemaNode {
  maxItems?: number;
  properties?: Record<string, SchemaNode>;
  'x-kubernetes-validations'?: { rule: string }[];
}

interface CrdDocument {
  spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: SchemaNode } } } }[] };
}

/** The `spec` schema of the RoutingPolicy CRD. */
export const routingPolicySpecSchema: SchemaNode = (
  parse(
    readFileSync(new URL('../../crds/routingpolicies.yaml', import.meta.url), 'utf8'),
  ) as CrdDocument
).spec.versions[0]!.schema.openAPIV3Schema.properties.spec;

function field(name: string): SchemaNode {
  const node = routingPolicySpecSchema.properties?.[name];
  if (!node) throw new Error(`crds/routingpolicies.yaml: spec.${name} is not declared`);
  return node;
}

function maxItems(name: string): number {
  const bound = field(name).maxItems;
  if (bound === undefined)
    throw new Error(`crds/routingpolicies.yaml: spec.${name} has no maxItems`);
  return bound;
}

/** The N of the field's CEL rule `… .sum() <= N`. */
function celSumBound(name: string): number {
  for (const { rule } of field(name)['x-kubernetes-validations'] ?? []) {
    const match = /\.sum\(\) <= (\d+)$/.exec(rule);
    if (match) return Number(match[1]);
  }
  throw new Error(`crds/routingpolicies.yaml: spec.${name} has no CEL rule bounding a sum`);
}

export const POLICY_LIMITS = {
  /**
   * A policy spec, measured as compact JSON (what the engine holds, whatever the file's layout):
   * about ten times a large real policy (150 categories, 50 rules, 20 pools is ~20 KB).
   */
  specBytes: 256 * 1024,
  /**
   * A policy file, checked before it is parsed (YAML parsing runs at a few hundred KB/s and
   * blocks the event loop of a reloading server). Twice the spec bound: YAML's indentation makes
   * a spec's file up to ~1.3 times its JSON; the operator checks the ConfigMap it renders too.
   */
  fileBytes: 512 * 1024,
  escalationRules: maxItems('escalationRules'),
  departments: maxItems('departments'),
  consultantPools: maxItems('consultantPools'),
  /** Consultants of all pools together. */
  consultants: celSumBound('consultantPools'),
  /** Keywords of all escalation rules together: each one is tried on every inquiry's text. */
  keywords: celSumBound('escalationRules'),
} as const;

const count = (n: number): string => n.toLocaleString('en-US');

function over(what: string, actual: number, limit: number): string | undefined {
  return actual > limit
    ? `${what.replace('#', count(actual))}; at most ${count(limit)} are allowed`
    : undefined;
}

const arrayAt = (value: unknown, key: string): unknown[] => {
  const item =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : [];
  return Array.isArray(item) ? item : [];
};

const kib = (bytes: number): string => `${count(bytes)} (${bytes / 1024} KiB)`;

/** A spec over `POLICY_LIMITS.specBytes` as compact JSON (the message names both sizes). */
export function policySpecSizeProblem(spec: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(spec) ?? '');
  return bytes > POLICY_LIMITS.specBytes
    ? `policy is ${count(bytes)} bytes as JSON; at most ${kib(POLICY_LIMITS.specBytes)} are allowed`
    : undefined;
}

/** A policy file over `POLICY_LIMITS.fileBytes`. */
export function policyFileSizeProblem(bytes: number, what = 'policy file'): string | undefined {
  return bytes > POLICY_LIMITS.fileBytes
    ? `${what} is ${count(bytes)} bytes; at most ${kib(POLICY_LIMITS.fileBytes)} are allowed`
    : undefined;
}

/** Counts over the bounds in a RoutingPolicy spec (any shape: the schema is checked after). */
export function policyBoundProblems(spec: unknown): string[] {
  const rules = arrayAt(spec, 'escalationRules');
  const pools = arrayAt(spec, 'consultantPools');
  return [
    over('policy has # escalation rules', rules.length, POLICY_LIMITS.escalationRules),
    over(
      'policy maps # categories to departments',
      arrayAt(spec, 'departments').length,
      POLICY_LIMITS.departments,
    ),
    over('policy has # consultant pools', pools.length, POLICY_LIMITS.consultantPools),
    over(
      'policy has # consultants in its pools',
      pools.reduce<number>((sum, pool) => sum + arrayAt(pool, 'consultants').length, 0),
      POLICY_LIMITS.consultants,
    ),
    over(
      'policy has # keywords in its escalation rules',
      rules.reduce<number>((sum, rule) => {
        const when =
          typeof rule === 'object' && rule !== null ? (rule as { when?: unknown }).when : {};
        return sum + arrayAt(when, 'keywords').length;
      }, 0),
      POLICY_LIMITS.keywords,
    ),
  ].filter((problem) => problem !== undefined);
}

/** Counts over the bounds in the original routing_rules.yaml shape. */
export function originalRulesBoundProblems(document: unknown): string[] {
  const map =
    typeof document === 'object' && document !== null
      ? (document as { category_to_department?: unknown }).category_to_department
      : undefined;
  return [
    over(
      'routing rules have # escalation_rules',
      arrayAt(document, 'escalation_rules').length,
      POLICY_LIMITS.escalationRules,
    ),
    over(
      'routing rules map # categories in category_to_department',
      typeof map === 'object' && map !== null ? Object.keys(map).length : 0,
      POLICY_LIMITS.departments,
    ),
  ].filter((problem) => problem !== undefined);
}
