/**
 * Realistic synthetic client inquiries for training and evaluating the inquiry classifier.
 *
 * Each record is planned first (channel, category, intent, urgency, sentiment, sender), then
 * written sentence by sentence so that every label can be read from the text, then wrapped for
 * its channel. Label noise is applied last, from a separate random stream, and the labels
 * before noise are kept in the `true_*` fields.
 */
import { renderInquiry } from './channels.js';
import { writeContent, type MessageLength, type MessagePlan } from './compose.js';
import {
  AMBIGUOUS_INTENTS,
  CUSTOMER_ASIDES,
  EMPLOYEE_ASIDES,
  INTENTS,
  type Intent,
} from './intents.js';
import {
  CATEGORIES,
  SENTIMENTS,
  URGENCIES,
  type Category,
  type Channel,
  type Sentiment,
  type SentimentWeights,
  type Urgency,
  type UrgencyWeights,
} from './labels.js';
import {
  chance,
  intBetween,
  MAX_SEED,
  pick,
  pickWeighted,
  recordStreams,
  type RandomGenerator,
} from './random.js';
import { makeSender } from './senders.js';
import type { Audience } from './tone.js';

export { CATEGORIES, SENTIMENTS, URGENCIES } from './labels.js';
export type { Category, Channel, Sentiment, Urgency } from './labels.js';

export interface GeneratedInquiry {
  /** Deterministic from seed and index: `gen-<seed>-<index>`. */
  id: string;
  subject: string;
  body: string;
  sender_email: string;
  sender_name: string;
  channel: Channel;
  /** ISO 8601, within the 30 days before `GenerateOptions.end`. */
  received_at: string;
  /** The labels as observed, after label noise. */
  category: Category;
  sentiment: Sentiment;
  urgency: Urgency;
  /** The labels before noise: what the text really is. */
  true_category: Category;
  true_sentiment: Sentiment;
  true_urgency: Urgency;
}

export interface GenerateOptions {
  /** Number of records, a non-negative integer. */
  n: number;
  /** An integer in [0, 2^32 - 1]. */
  seed: number;
  /** Per-head probability that the observed label is replaced by another one; default 0.05. */
  noiseRate?: number;
  /** Records are received in the 30 days before this instant; default 2026-01-01T00:00:00Z. */
  end?: Date;
}

const DEFAULT_NOISE_RATE = 0.05;
const DEFAULT_END_MS = Date.UTC(2026, 0, 1);
const WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;
const AMBIGUOUS_SHARE = 0.05;
const MIXED_SHARE = 0.1;

const CHANNELS: readonly Channel[] = ['email', 'web_form', 'chat', 'phone_transcript'];
const CHANNEL_WEIGHTS = [0.55, 0.25, 0.15, 0.05];
/** In CATEGORIES order. */
const CATEGORY_WEIGHTS = [0.28, 0.2, 0.15, 0.12, 0.1, 0.15];

const CATEGORY_SENTIMENT: Readonly<Record<Category, SentimentWeights>> = {
  technical_support: [0.48, 0.42, 0.1],
  billing: [0.5, 0.42, 0.08],
  sales: [0.08, 0.6, 0.32],
  hr: [0.22, 0.63, 0.15],
  legal: [0.25, 0.7, 0.05],
  product_feedback: [0.28, 0.3, 0.42],
};

const CATEGORY_URGENCY: Readonly<Record<Category, UrgencyWeights>> = {
  technical_support: [0.22, 0.38, 0.28, 0.12],
  billing: [0.3, 0.42, 0.2, 0.08],
  sales: [0.42, 0.36, 0.17, 0.05],
  hr: [0.38, 0.38, 0.17, 0.07],
  legal: [0.3, 0.38, 0.2, 0.12],
  product_feedback: [0.62, 0.32, 0.06, 0],
};

/** Share of very short and of long messages, by channel. */
const LENGTH_WEIGHTS: Readonly<Record<Channel, readonly [number, number, number]>> = {
  email: [0.06, 0.8, 0.14],
  web_form: [0.05, 0.87, 0.08],
  chat: [0.18, 0.8, 0.02],
  phone_transcript: [0.03, 0.87, 0.1],
};
const LENGTHS: readonly MessageLength[] = ['short', 'normal', 'long'];

interface ValidOptions {
  readonly n: number;
  readonly seed: number;
  readonly noiseRate: number;
  readonly endMs: number;
}

function validateOptions(options: GenerateOptions): ValidOptions {
  const { n, seed } = options;
  const noiseRate = options.noiseRate ?? DEFAULT_NOISE_RATE;
  const endMs = options.end === undefined ? DEFAULT_END_MS : options.end.getTime();
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  if (!(noiseRate >= 0 && noiseRate <= 1))
    throw new RangeError(`noiseRate must be in [0, 1], got ${noiseRate}`);
  if (!Number.isFinite(endMs)) throw new RangeError('end must be a valid Date');
  return { n, seed, noiseRate, endMs };
}

/** High urgency makes praise rarer and complaints likelier; calm messages the reverse. */
function sentimentWeights(base: SentimentWeights, urgency: Urgency): SentimentWeights {
  const [negative, neutral, positive] = base;
  if (urgency === 'critical' || urgency === 'high')
    return [negative * 1.4, neutral, positive * 0.35];
  if (urgency === 'low') return [negative * 0.7, neutral, positive * 1.2];
  return base;
}

function chooseIntent(rng: RandomGenerator, category: Category): Intent {
  if (chance(rng, AMBIGUOUS_SHARE)) {
    const candidates = AMBIGUOUS_INTENTS.filter((intent) => intent.categories.includes(category));
    if (candidates.length > 0) return pick(rng, candidates);
  }
  return pick(rng, INTENTS[category]);
}

function chooseAside(
  rng: RandomGenerator,
  category: Category,
  audience: Audience,
): string | undefined {
  const pools = audience === 'employee' ? EMPLOYEE_ASIDES : CUSTOMER_ASIDES;
  const others = CATEGORIES.filter((other) => other !== category && pools[other] !== undefined);
  return pick(rng, pools[pick(rng, others)] ?? []);
}

function receivedAt(rng: RandomGenerator, channel: Channel, endMs: number): Date {
  const day = intBetween(rng, 0, WINDOW_DAYS - 1);
  const live = channel === 'chat' || channel === 'phone_transcript';
  const second = chance(rng, live ? 0.92 : 0.72)
    ? intBetween(rng, 8 * 3600, 18 * 3600 - 1)
    : intBetween(rng, 0, 86_399);
  return new Date(endMs - WINDOW_DAYS * DAY_MS + day * DAY_MS + second * 1000);
}

/** The observed label: the true one, or with probability rate one of the others. */
function observe<T>(rng: RandomGenerator, truth: T, values: readonly T[], rate: number): T {
  if (rate <= 0 || !chance(rng, rate)) return truth;
  const others = values.filter((value) => value !== truth);
  return pick(rng, others);
}

function generateOne(
  text: RandomGenerator,
  noise: RandomGenerator,
  index: number,
  options: ValidOptions,
): GeneratedInquiry {
  const channel = pickWeighted(text, CHANNELS, CHANNEL_WEIGHTS);
  const category = pickWeighted(text, CATEGORIES, CATEGORY_WEIGHTS);
  const intent = chooseIntent(text, category);
  const urgency = pickWeighted(text, URGENCIES, intent.urgency ?? CATEGORY_URGENCY[category]);
  const sentiment = pickWeighted(
    text,
    SENTIMENTS,
    sentimentWeights(intent.sentiment ?? CATEGORY_SENTIMENT[category], urgency),
  );
  const sender = makeSender(text, category);
  const audience: Audience =
    category === 'hr' || sender.kind === 'internal' ? 'employee' : 'customer';
  const ambiguous = 'categories' in intent;
  const aside =
    !ambiguous && chance(text, MIXED_SHARE) ? chooseAside(text, category, audience) : undefined;
  const length = pickWeighted(text, LENGTHS, LENGTH_WEIGHTS[channel]);
  const plan: MessagePlan = {
    category,
    sentiment,
    urgency,
    intent,
    audience,
    length,
    channel,
    aside,
  };
  const when = receivedAt(text, channel, options.endMs);
  const slots = new Map<string, string>();
  const content = writeContent(text, plan, slots);
  const { subject, body } = renderInquiry(text, {
    plan,
    content,
    channel,
    sender,
    receivedAt: when,
    slots,
  });
  return {
    id: `gen-${options.seed}-${index}`,
    subject,
    body,
    sender_email: sender.email,
    sender_name: sender.name,
    channel,
    received_at: when.toISOString(),
    category: observe(noise, category, CATEGORIES, options.noiseRate),
    sentiment: observe(noise, sentiment, SENTIMENTS, options.noiseRate),
    urgency: observe(noise, urgency, URGENCIES, options.noiseRate),
    true_category: category,
    true_sentiment: sentiment,
    true_urgency: urgency,
  };
}

function* streamInquiries(options: ValidOptions): Generator<GeneratedInquiry> {
  const streams = recordStreams(options.seed);
  for (let index = 0; index < options.n; index++) {
    const { text, noise } = streams.next().value;
    yield generateOne(text, noise, index, options);
  }
}

/**
 * Lazily yields `n` inquiries. Deterministic: the same options give byte-identical records,
 * and record i depends only on seed, i, noiseRate and end (never on n), so a smaller n yields a
 * prefix of a larger one. The noise rate changes only the observed labels, never the texts.
 * Throws a RangeError on invalid options, before yielding anything.
 */
export function generateInquiryStream(options: GenerateOptions): Generator<GeneratedInquiry> {
  return streamInquiries(validateOptions(options));
}

/** All `n` inquiries in an array; the same records as generateInquiryStream. */
export function generateInquiries(options: GenerateOptions): GeneratedInquiry[] {
  return Array.from(generateInquiryStream(options));
}
