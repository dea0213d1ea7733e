/**
 * `spec.rollout` resolved into the plan the state machine walks: defaults applied (they agree
 * with the CRD schema's defaults; a test reads crds/modelversions.yaml and compares), durations
 * parsed, and the rules the API server enforces checked again, so an object written by a client
 * that skips validation fails clearly instead of half-rolling out.
 */
import type { ModelVersionSpec } from '../../../crds/generated/modelversions.js';
import { parseDuration } from './duration.js';

type Rollout = NonNullable<ModelVersionSpec['rollout']>;
export type Strategy = NonNullable<Rollout['strategy']>;

/** One entry of `spec.rollout.analysis.metrics`. */
export type AnalysisMetric = NonNullable<NonNullable<Rollout['analysis']>['metrics']>[number];

type MatchEntry = NonNullable<Rollout['match']>[number];
/** One header condition of a match: its name and exactly one of exact, prefix or regex. */
export type HeaderMatch = NonNullable<MatchEntry['headers']>[number];
export type CookieMatch = NonNullable<MatchEntry['cookie']>;
/**
 * One entry of `spec.rollout.match`, normalized: `headers` sorted by name and absent when
 * empty, each header with only its one comparison. Entries are alternatives; within one,
 * everything must match.
 */
export interface RequestMatch {
  headers?: HeaderMatch[];
  cookie?: CookieMatch;
}

const DEFAULT_ROLLOUT: Rollout = {
  strategy: 'Canary',
  steps: [
    { weight: 10, pause: '5m' },
    { weight: 50, pause: '5m' },
  ],
  analysis: {
    interval: '1m',
    failureLimit: 2,
    metrics: [
      {
        name: 'online-accuracy',
        provider: 'mlflow',
        metric: 'online.accuracy',
        sampleMetric: 'online.samples',
        minSamples: 50,
        min: 0.8,
      },
    ],
  },
};

export const ROLLOUT_DEFAULTS = {
  /** The whole `spec.rollout` when it is absent. */
  rollout: DEFAULT_ROLLOUT,
  strategy: 'Canary' as Strategy,
  stepPause: '5m',
  interval: '1m',
  failureLimit: 2,
  minSamples: 0,
  /** A Shadow without steps analyses once, after this long. */
  shadowPause: '5m',
  /** After promotion, how long the canary Deployment keeps serving beside the stable one. */
  scaleDownDelay: '2m',
  /** How long a step may stay inconclusive after its pause (at least three intervals). */
  progressDeadline: '30m',
} as const;

export interface PlannedStep {
  /** Percent of live traffic to the candidate: the step's weight, or 0 for a Shadow. */
  weight: number;
  /** The pause as written, for messages. */
  pause: string;
  pauseMs: number;
}

export interface RolloutPlan {
  strategy: Strategy;
  /** Empty for Immediate; at least one step otherwise. */
  steps: PlannedStep[];
  /** Requests the candidate gets at every step whatever the weight (A/B); empty for none. */
  match: RequestMatch[];
  interval: string;
  intervalMs: number;
  failureLimit: number;
  metrics: AnalysisMetric[];
  scaleDownDelayMs: number;
  /** Past a step's pause by this long and still inconclusive: rolled back. */
  progressDeadlineMs: number;
}

export type PlanOutcome = { ok: true; plan: RolloutPlan } | { ok: false; problem: string };

/**
 * The rollout to walk for `spec`, or the problem that makes it impossible (a Canary without
 * steps, weights not strictly increasing within 0–100, a weight of 0 without a match, a match
 * that is empty or not for a Canary, a malformed duration).
 */
export function planRollout(spec: ModelVersionSpec): PlanOutcome {
  const d = ROLLOUT_DEFAULTS;
  const rollout = spec.rollout ?? d.rollout;
  const strategy = rollout.strategy ?? d.strategy;
  const analysis = rollout.analysis ?? {};
  try {
    const match = plannedMatch(strategy, rollout.match ?? []);
    const steps = plannedSteps(strategy, rollout.steps ?? [], match.length > 0);
    const interval = analysis.interval ?? d.interval;
    const intervalMs = parseDuration(interval);
    return {
      ok: true,
      plan: {
        strategy,
        steps,
        match,
        interval,
        intervalMs,
        failureLimit: analysis.failureLimit ?? d.failureLimit,
        metrics: [...(analysis.metrics ?? [])],
        scaleDownDelayMs: parseDuration(rollout.scaleDownDelay ?? d.scaleDownDelay),
        progressDeadlineMs: rollout.progressDeadline
          ? parseDuration(rollout.progressDeadline)
          : Math.max(parseDuration(d.progressDeadline), 3 * intervalMs),
      },
    };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

function plannedSteps(
  strategy: Strategy,
  steps: readonly { weight: number; pause?: string }[],
  matched: boolean,
): PlannedStep[] {
  const d = ROLLOUT_DEFAULTS;
  const planned = (pause: string, weight: number): PlannedStep => ({
    weight,
    pause,
    pauseMs: parseDuration(pause),
  });
  switch (strategy) {
    case 'Immediate':
      return [];
    case 'Shadow':
      return steps.length === 0
        ? [planned(d.shadowPause, 0)]
        : steps.map((step) => planned(step.pause ?? d.stepPause, 0));
    case 'Canary':
      if (steps.length === 0) throw new Error('a Canary rollout needs at least one step');
      steps.forEach((step, i) => {
        const previous = steps[i - 1]?.weight ?? 0;
        if (!Number.isInteger(step.weight) || step.weight < 0 || step.weight > 100) {
          throw new Error(`canary step ${i + 1} has weight ${step.weight}; use 0 to 100`);
        }
        if (step.weight === 0 && !matched) {
          throw new Error(
            `canary step ${i + 1} has weight 0, which sends the candidate nothing without rollout.match: add a match (A/B routing) or use a weight of 1 to 100`,
          );
        }
        if (i > 0 && step.weight <= previous) {
          throw new Error('canary step weights must be strictly increasing');
        }
      });
      return steps.map((step) => planned(step.pause ?? d.stepPause, step.weight));
    default:
      throw new Error(
        `unknown rollout strategy ${JSON.stringify(strategy)}; use Canary, Immediate or Shadow`,
      );
  }
}

const HEADER_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/** Header keys Istio's match ignores: an entry of only these would match every request. */
const IGNORED_HEADERS = new Set(['uri', 'scheme', 'method', 'authority']);
const COOKIE_NAME = /^[A-Za-z0-9_.-]+$/;
const COOKIE_VALUE = /^[A-Za-z0-9_.~+/=:@-]+$/;
/** What RE2 (Envoy's regex engine) lacks that JavaScript has: lookaround, backreferences. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

/**
 * `spec.rollout.match` checked as the CRD schema checks it (so a client that skips validation
 * cannot widen a match to every request) and normalized for comparison with the routes.
 */
function plannedMatch(strategy: Strategy, entries: readonly MatchEntry[]): RequestMatch[] {
  if (entries.length === 0) return [];
  if (strategy !== 'Canary') {
    throw new Error(
      `rollout.match routes requests to a Canary's candidate, not ${strategy === 'Immediate' ? 'an' : 'a'} ${strategy}'s; remove match or use strategy Canary`,
    );
  }
  return entries.map((entry, i) => {
    const where = `rollout.match entry ${i + 1}`;
    const headers = (entry.headers ?? []).map((header) => plannedHeader(header, where));
    const names = headers.map((h) => h.name);
    const twice = names.find((name, j) => names.indexOf(name) !== j);
    if (twice !== undefined) throw new Error(`${where} names the header ${twice} twice`);
    if (headers.length === 0 && entry.cookie === undefined) {
      throw new Error(`${where} has no header and no cookie: it would match every request`);
    }
    return {
      ...(headers.length > 0 && { headers: headers.sort((a, b) => a.name.localeCompare(b.name)) }),
      ...(entry.cookie !== undefined && { cookie: plannedCookie(entry.cookie, where) }),
    };
  });
}

function plannedHeader(header: HeaderMatch, where: string): HeaderMatch {
  const { name } = header;
  if (!HEADER_NAME.test(name)) {
    throw new Error(
      `${where}: header name ${JSON.stringify(name)} is not lowercase letters, digits and inner hyphens (e.g. x-canary)`,
    );
  }
  if (name === 'cookie') throw new Error(`${where}: match a cookie with cookie (name and value)`);
  if (IGNORED_HEADERS.has(name)) {
    throw new Error(`${where}: Istio ignores the header key ${name}; use another header`);
  }
  const given = (['exact', 'prefix', 'regex'] as const).filter((kind) => header[kind]);
  if (given.length !== 1) {
    throw new Error(`${where}: header ${name} needs exactly one of exact, prefix or regex`);
  }
  const kind = given[0]!;
  const value = header[kind]!;
  if (kind === 'regex') checkRegex(value, `${where}: header ${name}`);
  return { name, [kind]: value };
}

function checkRegex(regex: string, where: string): void {
  if (NOT_RE2.test(regex)) {
    throw new Error(
      `${where}: regex ${JSON.stringify(regex)} uses a lookaround or a backreference, which RE2 (Istio's regex engine) does not have`,
    );
  }
  // RE2's leading flags group and named groups, spelt as JavaScript spells them.
  const asJavaScript = regex.replace(/^\(\?[imsU]+\)/, '').replaceAll('(?P<', '(?<');
  try {
    new RegExp(asJavaScript);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`${where}: regex ${JSON.stringify(regex)} does not compile (${why})`, {
      cause: error,
    });
  }
}

function plannedCookie(cookie: CookieMatch, where: string): CookieMatch {
  if (!COOKIE_NAME.test(cookie.name)) {
    throw new Error(
      `${where}: cookie name ${JSON.stringify(cookie.name)} is not letters, digits, _, . and -`,
    );
  }
  if (!COOKIE_VALUE.test(cookie.value)) {
    throw new Error(
      `${where}: cookie value ${JSON.stringify(cookie.value)} has a character outside letters, digits and _ . ~ + / = : @ -`,
    );
  }
  return { name: cookie.name, value: cookie.value };
}

/** `match` in a sentence: `header x-canary = "on" or cookie canary=always`. */
export function describeMatch(match: readonly RequestMatch[]): string {
  const comparison = (h: HeaderMatch) =>
    h.exact !== undefined
      ? `= ${JSON.stringify(h.exact)}`
      : h.prefix !== undefined
        ? `starting with ${JSON.stringify(h.prefix)}`
        : `matching /${h.regex}/`;
  return match
    .map((entry) =>
      [
        ...(entry.headers ?? []).map((h) => `header ${h.name} ${comparison(h)}`),
        ...(entry.cookie ? [`cookie ${entry.cookie.name}=${entry.cookie.value}`] : []),
      ].join(' and '),
    )
    .join(' or ');
}
