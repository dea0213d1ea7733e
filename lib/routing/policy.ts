/**
 * The routing policy: a RoutingPolicy spec (crds/routingpolicies.yaml), validated against the
 * CRD's own schema, checked for references that do not resolve, and completed with defaults.
 */
import { readFile, stat } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import type { RoutingPolicySpec } from '../../crds/generated/routingpolicies.js';
import { convertOriginalRules, isOriginalRoutingRules, ORIGINAL_KEYS } from './original-rules.js';
import {
  policyBoundProblems,
  policyFileSizeProblem,
  policySpecSizeProblem,
  routingPolicySpecSchema,
} from './policy-limits.js';
import { closedSchema, describeSchemaErrors } from './unknown-keys.js';

export type { RoutingPolicySpec };

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** A spec with every default applied: what the engine works with. */
export interface Policy {
  spec: RoutingPolicySpec;
  departments: Map<string, { department: string; pool: string | undefined }>;
  pools: Map<string, string[]>;
  rules: NonNullable<RoutingPolicySpec['escalationRules']>;
  urgencyScore: Record<string, number>;
  sentimentScore: Record<string, number>;
  uncertaintyWeight: number;
  /** Highest band first; the last one has minScore 0. */
  sla: { band: string; minScore: number; responseMinutes: number }[];
  triage: { confidenceBelow: number; queue: string };
  /** Short hash of the spec: which policy made a decision. */
  version: string;
}

export const DEFAULT_URGENCY_SCORE = { critical: 90, high: 70, medium: 45, low: 20 };
export const DEFAULT_SENTIMENT_SCORE = { negative: 10, neutral: 0, positive: -5 };
export const DEFAULT_SLA = [
  { band: 'critical', minScore: 85, responseMinutes: 60 },
  { band: 'high', minScore: 65, responseMinutes: 240 },
  { band: 'medium', minScore: 40, responseMinutes: 1440 },
  { band: 'low', minScore: 0, responseMinutes: 4320 },
];

// strict: false lets ajv skip the Kubernetes-only keywords (x-kubernetes-*); the API server checks
// those. Closed objects: a key the schema does not know is an error here, as with kubectl's
// strict field validation, instead of being pruned.
const validateSpec = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(
  closedSchema(routingPolicySpecSchema) as object,
);

/**
 * The triage threshold when the policy sets none: `CONFIDENCE_THRESHOLD`, as in the system this
 * platform replaces, whose default this is.
 */
export const DEFAULT_TRIAGE_CONFIDENCE = 0.7;

export interface PolicyOptions {
  /** Category confidence under which an inquiry is triaged, unless the policy says. */
  triageConfidenceBelow?: number;
}

/**
 * The labels `policy` names for a model head: the categories it routes, the urgencies and
 * sentiments it scores; none for another head.
 */
export function policyLabels(policy: Policy, head: string): string[] {
  if (head === 'category') return [...policy.departments.keys()];
  if (head === 'urgency') return Object.keys(policy.urgencyScore);
  if (head === 'sentiment') return Object.keys(policy.sentimentScore);
  return [];
}

/** Reads `CONFIDENCE_THRESHOLD` (a number from 0 to 1); throws a PolicyError naming it otherwise. */
export function policyOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PolicyOptions {
  const raw = env.CONFIDENCE_THRESHOLD;
  if (raw === undefined || raw.trim() === '') return {};
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new PolicyError(`CONFIDENCE_THRESHOLD must be a number from 0 to 1, not "${raw}"`);
  return { triageConfidenceBelow: value };
}

/** At most ten problems, then how many more: a refusal stays readable in a log or a condition. */
function listProblems(problems: readonly string[]): string {
  const shown = problems.slice(0, 10).join('; ');
  return problems.length > 10 ? `${shown}; and ${problems.length - 10} more` : shown;
}

function stableHash(text: string): string {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Validates a spec object and resolves it; throws a PolicyError listing every problem. */
export function resolvePolicy(input: unknown, options: PolicyOptions = {}): Policy {
  // The CRD declares the original keys only to refuse them by name (its CEL rules say the same).
  const original = ORIGINAL_KEYS.filter(
    (key) => typeof input === 'object' && input !== null && key in input,
  );
  if (original.length > 0)
    throw new PolicyError(
      `invalid routing policy: ${original.map((key) => `unknown key "${key}" (did you mean "${key === 'category_to_department' ? 'departments' : 'escalationRules'}"?): it belongs to the original routing_rules.yaml shape; convert the file with \`inquiry-pipeline convert-policy FILE --name NAME\``).join('; ')}`,
    );
  const bounds = policyBoundProblems(input);
  const size = bounds.length === 0 ? policySpecSizeProblem(input) : undefined;
  if (size !== undefined) bounds.push(size);
  if (bounds.length > 0) throw new PolicyError(`routing policy refused: ${bounds.join('; ')}`);
  if (!validateSpec(input)) {
    const problems = describeSchemaErrors(validateSpec.errors ?? [], 'spec');
    throw new PolicyError(`invalid routing policy: ${listProblems(problems)}`);
  }
  const spec = input as RoutingPolicySpec;
  const pools = new Map(
    (spec.consultantPools ?? []).map((pool) => [pool.name, [...pool.consultants]]),
  );
  const problems: string[] = [];
  const poolExists = (pool: string | undefined, where: string): void => {
    if (pool !== undefined && !pools.has(pool))
      problems.push(`${where} names consultant pool "${pool}", which is not defined`);
  };
  const departments = new Map<string, { department: string; pool: string | undefined }>();
  for (const entry of spec.departments ?? []) {
    if (departments.has(entry.category))
      problems.push(`category "${entry.category}" is mapped twice`);
    poolExists(entry.consultantPool, `department of ${entry.category}`);
    departments.set(entry.category, { department: entry.department, pool: entry.consultantPool });
  }
  const rules = spec.escalationRules ?? [];
  const names = new Set<string>();
  for (const rule of rules) {
    if (names.has(rule.name)) problems.push(`escalation rule "${rule.name}" appears twice`);
    names.add(rule.name);
    if (Object.keys(rule.when).length === 0)
      problems.push(`escalation rule "${rule.name}" has no condition`);
    poolExists(rule.then.consultantPool, `escalation rule "${rule.name}"`);
  }
  const sla = [...(spec.sla ?? DEFAULT_SLA)].sort((a, b) => b.minScore - a.minScore);
  if (sla.at(-1)?.minScore !== 0) problems.push('the SLA bands must include one with minScore 0');
  if (problems.length > 0)
    throw new PolicyError(`invalid routing policy: ${listProblems(problems)}`);
  const triageBelow =
    spec.triage?.confidenceBelow ?? options.triageConfidenceBelow ?? DEFAULT_TRIAGE_CONFIDENCE;
  return {
    spec,
    departments,
    pools,
    rules,
    urgencyScore: { ...DEFAULT_URGENCY_SCORE, ...spec.priority?.urgency },
    sentimentScore: { ...DEFAULT_SENTIMENT_SCORE, ...spec.priority?.sentiment },
    uncertaintyWeight: spec.priority?.uncertaintyWeight ?? 10,
    sla,
    triage: { confidenceBelow: triageBelow, queue: spec.triage?.queue ?? 'human-triage' },
    // The threshold from outside the spec changes decisions, so it changes the version too.
    version: stableHash(
      JSON.stringify(spec) + (spec.triage?.confidenceBelow === undefined ? `|${triageBelow}` : ''),
    ),
  };
}

/**
 * A policy document as a RoutingPolicy spec: the spec itself, a whole RoutingPolicy resource, or
 * the original routing rules shape (`category_to_department`, `escalation_rules`), converted.
 */
export function policySpecOf(document: unknown): unknown {
  const isResource =
    typeof document === 'object' &&
    document !== null &&
    (document as { kind?: unknown }).kind === 'RoutingPolicy';
  const spec = isResource ? (document as { spec: unknown }).spec : document;
  if (!isOriginalRoutingRules(spec)) return spec;
  const converted = convertOriginalRules(spec);
  if ('problems' in converted)
    throw new PolicyError(
      `invalid routing rules (read as the original routing_rules.yaml shape, which category_to_department or escalation_rules mark): ${listProblems(converted.problems)}`,
    );
  return converted.spec;
}

function parseJsonOrYaml(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parse(text);
  }
}

/**
 * Parses policy YAML into the RoutingPolicy spec it holds (see `policySpecOf`), refusing text
 * over `POLICY_LIMITS.fileBytes` before parsing it.
 */
export function parsePolicyDocument(text: string): unknown {
  const size = policyFileSizeProblem(Buffer.byteLength(text));
  if (size !== undefined) throw new PolicyError(`routing policy refused: ${size}`);
  let document: unknown;
  try {
    // JSON is YAML too, and parses a hundred times faster; a JSON error gets YAML's message.
    document = /^\s*\{/.test(text) ? parseJsonOrYaml(text) : parse(text);
  } catch (cause) {
    throw new PolicyError(
      `routing policy is not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  return policySpecOf(document);
}

/** Parses a policy file: a RoutingPolicy spec or resource, or the original rules shape. */
export function parsePolicyYaml(text: string, options: PolicyOptions = {}): Policy {
  return resolvePolicy(parsePolicyDocument(text), options);
}

/** Reads and parses a policy file; one over the byte bound is refused without being read. */
export async function loadPolicyFile(file: string, options: PolicyOptions = {}): Promise<Policy> {
  const size = policyFileSizeProblem((await stat(file)).size, `policy file ${file}`);
  if (size !== undefined) throw new PolicyError(`routing policy refused: ${size}`);
  return parsePolicyYaml(await readFile(file, 'utf8'), options);
}
