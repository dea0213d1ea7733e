/**
 * The routing engine: from a classification to a decision — department, 0–100 priority and its
 * SLA band, escalation and the rule that fired, triage of doubtful inquiries, and the
 * consultant. Pure: the caller supplies consultant loads through `assign`.
 */
import { comparableDomain } from '../email-address.js';
import type { Policy } from './policy.js';
import type { Urgency } from './urgency.js';

export interface Prediction {
  label: string;
  confidence: number;
}

export interface RoutingInput {
  category: Prediction | undefined;
  sentiment: Prediction | undefined;
  urgency: Urgency;
  /** Subject and body, for keyword conditions. */
  text: string;
  senderEmail: string;
  receivedAt: Date;
}

export interface RoutingDecision {
  department: string;
  /** Where it waits: the triage queue for doubtful inquiries, else the department's. */
  queue: string;
  priorityScore: number;
  priorityBand: string;
  escalated: boolean;
  /** The escalation rule that fired, if one did. */
  rule: string | null;
  consultantPool: string | null;
  consultant: string | null;
  triaged: boolean;
  slaDueAt: Date;
  policyVersion: string;
}

/** Picks a consultant of a pool (null when the pool is empty or unknown). */
export type Assign = (pool: string, consultants: readonly string[]) => string | null;

const keywordPatterns = new WeakMap<readonly string[], RegExp>();

function keywordPattern(keywords: readonly string[]): RegExp {
  let pattern = keywordPatterns.get(keywords);
  if (!pattern) {
    const alternatives = keywords.map((k) =>
      k
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\s+/g, '\\s+'),
    );
    pattern = new RegExp(
      `(?<![\\p{L}\\p{N}])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}])`,
      'iu',
    );
    keywordPatterns.set(keywords, pattern);
  }
  return pattern;
}

/** The sender's domain as DNS compares it: a rule for `bücher.de` matches `BÜCHER.de` too. */
function senderDomain(email: string): string {
  return comparableDomain(email.slice(email.lastIndexOf('@') + 1));
}

const ruleDomains = new WeakMap<readonly string[], string[]>();

/** A rule's `senderDomains` as DNS compares them, worked out once per policy as the keywords. */
function comparableDomains(written: readonly string[]): string[] {
  let domains = ruleDomains.get(written);
  if (!domains) {
    domains = written.map(comparableDomain);
    ruleDomains.set(written, domains);
  }
  return domains;
}

type Rule = Policy['rules'][number];

/** True when every condition the rule gives holds for the input. */
export function ruleMatches(rule: Rule, input: RoutingInput): boolean {
  const { when } = rule;
  if (when.urgency && !when.urgency.includes(input.urgency.label)) return false;
  if (when.sentiment && !(input.sentiment && when.sentiment.includes(input.sentiment.label)))
    return false;
  if (when.category && !(input.category && when.category.includes(input.category.label)))
    return false;
  if (
    when.confidenceBelow !== undefined &&
    !((input.category?.confidence ?? 0) < when.confidenceBelow)
  )
    return false;
  if (when.keywords && !keywordPattern(when.keywords).test(input.text)) return false;
  if (when.senderDomains) {
    const domain = senderDomain(input.senderEmail);
    if (
      !comparableDomains(when.senderDomains).some((d) => domain === d || domain.endsWith(`.${d}`))
    )
      return false;
  }
  return true;
}

export function route(input: RoutingInput, policy: Policy, assign: Assign): RoutingDecision {
  const rule = policy.rules.find((candidate) => ruleMatches(candidate, input)) ?? null;
  const mapped = input.category ? policy.departments.get(input.category.label) : undefined;
  const department = rule?.then.department ?? mapped?.department ?? policy.spec.defaultDepartment;
  const confidence = input.category?.confidence ?? 0;
  const raw =
    (policy.urgencyScore[input.urgency.label] ?? 45) +
    (input.sentiment ? (policy.sentimentScore[input.sentiment.label] ?? 0) : 0) +
    policy.uncertaintyWeight * (1 - confidence) +
    (rule?.then.priorityBoost ?? 0);
  const priorityScore = Math.max(0, Math.min(100, Math.round(raw)));
  const band = policy.sla.find((b) => priorityScore >= b.minScore) ?? policy.sla.at(-1)!;
  // An escalation rule decides even for doubtful inquiries; otherwise doubt goes to humans first.
  const triaged = rule === null && confidence < policy.triage.confidenceBelow;
  const pool = triaged
    ? null
    : (rule?.then.consultantPool ?? (rule?.then.department ? undefined : mapped?.pool) ?? null);
  const consultants = pool ? (policy.pools.get(pool) ?? []) : [];
  return {
    department,
    queue: triaged ? policy.triage.queue : department,
    priorityScore,
    priorityBand: band.band,
    escalated: rule?.then.escalate ?? false,
    rule: rule?.name ?? null,
    consultantPool: pool,
    consultant: pool ? assign(pool, consultants) : null,
    triaged,
    slaDueAt: new Date(input.receivedAt.getTime() + band.responseMinutes * 60_000),
    policyVersion: policy.version,
  };
}

/**
 * Least open load first, round robin among equals; every assignment counts as load right away,
 * so a batch spreads across the pool.
 */
export class ConsultantAssigner {
  /** Per pool, the consultant chosen last: the next tie goes to whoever follows them. */
  private readonly last = new Map<string, number>();

  constructor(private readonly loads: Map<string, number> = new Map()) {}

  readonly assign: Assign = (pool, consultants) => {
    if (consultants.length === 0) return null;
    const least = Math.min(...consultants.map((c) => this.loads.get(c) ?? 0));
    const previous = this.last.get(pool) ?? -1;
    for (let step = 1; step <= consultants.length; step++) {
      const index = (previous + step) % consultants.length;
      const consultant = consultants[index]!;
      if ((this.loads.get(consultant) ?? 0) !== least) continue;
      this.last.set(pool, index);
      this.loads.set(consultant, least + 1);
      return consultant;
    }
    return null;
  };
}
