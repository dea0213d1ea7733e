/**
 * Writes the content of one inquiry, sentence by sentence, from a plan that already fixes its
 * topic and labels. Channel-specific wrapping happens in channels.ts.
 */
import {
  CUSTOMER_BACKGROUND,
  CUSTOMER_FOLLOW_UPS,
  EMPLOYEE_BACKGROUND,
  EMPLOYEE_FOLLOW_UPS,
  SPOKEN_FOLLOW_UPS,
  type Intent,
} from './intents.js';
import type { Category, Channel, Sentiment, Urgency } from './labels.js';
import { chance, intBetween, pick, pickDistinct, type RandomGenerator } from './random.js';
import { fillSlots, type SlotValues } from './slots.js';
import {
  explicitUrgencyCues,
  implicitUrgencyCues,
  NEGATIVE_LEADS,
  sentimentClosers,
  sentimentOpeners,
  SHORT_SENTIMENT_TAILS,
  SHORT_URGENCY_TAILS,
  type Audience,
} from './tone.js';
import { lowerFirst } from './wrappers.js';

export type MessageLength = 'short' | 'normal' | 'long';

/** Everything decided about a message before a word of it is written. */
export interface MessagePlan {
  readonly category: Category;
  readonly sentiment: Sentiment;
  readonly urgency: Urgency;
  readonly intent: Intent;
  readonly audience: Audience;
  readonly length: MessageLength;
  readonly channel: Channel;
  /** Template of a passing mention of another category's topic, if the message has one. */
  readonly aside: string | undefined;
}

/** Sentences grouped into paragraphs; a short message is one paragraph of one line. */
export type Content = readonly (readonly string[])[];

const ASIDE_LEADS = [
  'By the way, ',
  'Also, unrelated, but ',
  'On a separate note, ',
  'One more thing: ',
  'Side note: ',
  'Also, ',
];

/** Probability of an explicit and of an implicit urgency cue, by level. */
const CUE_PROBABILITY: Readonly<Record<Urgency, readonly [number, number]>> = {
  critical: [0.7, 0.55],
  high: [0.65, 0.45],
  medium: [0.45, 0.3],
  low: [0.45, 0.25],
};

/** Upper-cases the first letter of a sentence. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function implicitCues(plan: MessagePlan): readonly string[] {
  const { urgency, intent } = plan;
  const general = implicitUrgencyCues(urgency, plan.category, plan.audience);
  const specific =
    urgency === 'high' || urgency === 'critical' ? intent.cues?.[urgency] : undefined;
  return specific === undefined ? general : [...specific, ...specific, ...general];
}

/**
 * Zero to two sentences that convey the urgency: explicit cues, implicit ones (from the
 * topic when it has its own), or none (a weak-cue message). Critical messages always get at
 * least one cue, high ones nearly always.
 */
export function urgencyCues(rng: RandomGenerator, plan: MessagePlan): string[] {
  const [explicitP, implicitP] = CUE_PROBABILITY[plan.urgency];
  const implicit = implicitCues(plan);
  const cues: string[] = [];
  if (chance(rng, explicitP)) cues.push(pick(rng, explicitUrgencyCues(plan.urgency)));
  if (implicit.length > 0 && chance(rng, implicitP)) cues.push(pick(rng, implicit));
  const mustHaveCue = plan.urgency === 'critical' || (plan.urgency === 'high' && chance(rng, 0.5));
  if (cues.length === 0 && mustHaveCue)
    cues.push(pick(rng, implicit.length > 0 ? implicit : explicitUrgencyCues(plan.urgency)));
  if (cues.length === 2 && chance(rng, 0.5)) cues.reverse();
  return cues;
}

function shortTail(rng: RandomGenerator, pool: readonly string[], p: number): string {
  return chance(rng, p) ? pick(rng, pool) : '';
}

function writeShort(rng: RandomGenerator, plan: MessagePlan, slots: SlotValues): Content {
  let core = fillSlots(pick(rng, plan.intent.shorts), rng, slots);
  const sentimentP = plan.sentiment === 'neutral' ? 1 : 0.85;
  const urgencyP = { critical: 1, high: 0.85, medium: 0.5, low: 0.5 }[plan.urgency];
  const tails = [
    shortTail(rng, SHORT_SENTIMENT_TAILS[plan.sentiment], sentimentP),
    shortTail(rng, SHORT_URGENCY_TAILS[plan.urgency], urgencyP),
  ].filter((tail) => tail !== '');
  if (tails[0] === '?') core += tails.shift() ?? '';
  if (tails.length === 2 && chance(rng, 0.5)) tails.reverse();
  const line = [core, ...tails].join(pick(rng, [' ', ' - ', ', ', '. ']));
  return [[line.replace(/([?!])[.,]/g, '$1')]];
}

function sentimentSentences(
  rng: RandomGenerator,
  plan: MessagePlan,
  slots: SlotValues,
): { opener: string | undefined; closer: string | undefined; negativeLead: string } {
  const { sentiment, audience } = plan;
  const fill = (template: string) => capitalize(fillSlots(template, rng, slots));
  const openerP = sentiment === 'neutral' ? 0.25 : 0.55;
  const opener = chance(rng, openerP)
    ? fill(pick(rng, sentimentOpeners(sentiment, audience)))
    : undefined;
  const closerP = sentiment === 'neutral' ? 0.4 : opener === undefined ? 1 : 0.45;
  const closer = chance(rng, closerP)
    ? fill(pick(rng, sentimentClosers(sentiment, audience)))
    : undefined;
  const negativeLead =
    sentiment === 'negative' && opener === undefined && chance(rng, 0.5)
      ? pick(rng, NEGATIVE_LEADS)
      : '';
  return { opener, closer, negativeLead };
}

function present(...sentences: (string | undefined)[]): string[] {
  return sentences.filter((sentence): sentence is string => sentence !== undefined);
}

/**
 * The content of a message: the intent's problem, details and request, with sentiment phrases,
 * urgency cues and (for mixed-topic messages) a passing mention of another topic woven in.
 */
export function writeContent(rng: RandomGenerator, plan: MessagePlan, slots: SlotValues): Content {
  if (plan.length === 'short') return writeShort(rng, plan, slots);
  const fill = (template: string) => capitalize(fillSlots(template, rng, slots));
  const { intent } = plan;
  const tone = sentimentSentences(rng, plan, slots);
  const rawProblem = fill(pick(rng, intent.problems));
  const problem =
    tone.negativeLead && !rawProblem.endsWith('?')
      ? tone.negativeLead + lowerFirst(rawProblem)
      : rawProblem;
  const long = plan.length === 'long';
  const detailCount = long ? intBetween(rng, 2, 4) : intBetween(rng, 0, 2);
  const details = pickDistinct(rng, intent.details, detailCount).map(fill);
  const cues = urgencyCues(rng, plan).map(fill);
  const cuesEarly = chance(rng, 0.5);
  const aside =
    plan.aside === undefined
      ? undefined
      : pick(rng, ASIDE_LEADS) + fillSlots(plan.aside, rng, slots) + '.';
  const ask = fill(pick(rng, intent.asks));
  const employee = plan.audience === 'employee';
  const followUps =
    plan.channel === 'phone_transcript'
      ? SPOKEN_FOLLOW_UPS
      : employee
        ? EMPLOYEE_FOLLOW_UPS
        : CUSTOMER_FOLLOW_UPS;
  const followUp = chance(rng, long ? 0.6 : 0.15) ? fill(pick(rng, followUps)) : undefined;

  if (!long) {
    const first = [...present(tone.opener, problem), ...(cuesEarly ? cues : []), ...details];
    const second = [
      ...present(aside),
      ...(cuesEarly ? [] : cues),
      ask,
      ...present(followUp, tone.closer),
    ];
    return chance(rng, 0.4) ? [[...first, ...second]] : [first, second];
  }
  const backgrounds = intent.background ?? (employee ? EMPLOYEE_BACKGROUND : CUSTOMER_BACKGROUND);
  const background = pickDistinct(rng, backgrounds, intBetween(rng, 1, 2)).map(fill);
  const split = intBetween(rng, 1, details.length);
  return [
    [...present(tone.opener, problem), ...(cuesEarly ? cues : []), ...details.slice(0, split)],
    [...background, ...details.slice(split)],
    ...(aside === undefined ? [] : [[aside]]),
    [...(cuesEarly ? [] : cues), ask, ...present(followUp, tone.closer)],
  ].filter((paragraph) => paragraph.length > 0);
}
