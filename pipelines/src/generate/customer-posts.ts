/**
 * Short customer messages to a company, in the style of social-media posts and chat lines, with
 * a sentiment label: complaints that are negative through the facts they report (a delay, a
 * cancellation, an hour on hold, a double charge, a lost parcel, a refund that never came, no
 * reply) with or without a feeling word, sarcasm ("great, another hour on hold"), negation
 * ("still haven't received it"), neutral questions and requests (some about the same facts:
 * "how do I claim a refund for a cancelled order?") and praise (including a problem put right).
 * Written as people write them: a mention of the company, hashtags, abbreviations, no final
 * punctuation, lower or upper case. The e-mail generator (inquiries.ts) labels a factual problem
 * report neutral unless the writer adds feelings; customer sentiment sets count it negative,
 * and these posts teach that. Every company, person and reference is fictional. Deterministic
 * per seed, like the inquiry generator.
 */
import type { Sentiment } from './labels.js';
import {
  chance,
  intBetween,
  MAX_SEED,
  pick,
  pickWeighted,
  recordStreams,
  type RandomGenerator,
} from './random.js';

export interface CustomerPost {
  text: string;
  sentiment: Sentiment;
}

interface Domain {
  /** Handles of fictional companies of the domain. */
  readonly handles: readonly string[];
  /** Things that went wrong, told as facts (no feeling words). */
  readonly problems: readonly string[];
  /** Neutral questions and requests, some about the same things. */
  readonly questions: readonly string[];
  /** Things that went well. */
  readonly praise: readonly string[];
}

const COMMON_PROBLEMS = [
  'been on hold for {duration}',
  'on hold for {duration} and then the call dropped',
  'sent {n} emails and no reply',
  'no reply to my messages for {days}',
  'still waiting for my refund after {days}',
  'still no refund and it has been {days}',
  'charged twice for the same order',
  'you charged my card twice',
  'nobody called me back like they promised',
  'your chat bot just sends me in circles',
  'the agent hung up on me',
  'I was told {days} and it is now {weeks}',
  'third time contacting you about this',
  'case {ref} is still open after {weeks}',
  'promised a callback yesterday and nothing',
  'cannot get through to anyone on the phone',
  'your website keeps giving me an error when I try to pay',
  'was told someone would email me and nobody did',
];

const DOMAINS: readonly Domain[] = [
  {
    handles: ['skylarkair', 'AeroNimbus', 'FlyCormorant'],
    problems: [
      'flight delayed {hours} and nobody told us anything',
      'my flight got cancelled and no rebooking offered',
      'flight {flight} delayed again',
      'sat on the plane for {hours} without any information',
      'my bag did not arrive with me',
      'lost my luggage and no update in {days}',
      'missed my connection because of your delay',
      'gate changed twice and no announcement',
      'they overbooked the flight and bumped me',
      'stuck at the airport for {hours}',
      'paid for extra legroom and got a middle seat',
      'my seat was given away',
      'the app shows my booking as cancelled',
    ],
    questions: [
      'is flight {flight} on time today?',
      'can I change my flight to {weekday}?',
      'what is the baggage allowance on {flight}?',
      'do you have wifi on your flights?',
      'how do I add a bag to my booking?',
      'what happens if my flight is delayed more than {hours}?',
      'how do I claim a refund for a cancelled flight?',
      'can I pick my seat before check in?',
      'is there a fee to change my name on the ticket?',
      'when does online check in open for {flight}?',
    ],
    praise: [
      'the crew on {flight} was amazing',
      'landed {mins} early',
      'smooth flight and friendly staff',
      '{agent} at the gate rebooked me in minutes',
      'my lost bag was delivered to my hotel the same day',
      'upgraded me for my birthday',
    ],
  },
  {
    handles: ['Parcelo', 'ShipQuick', 'BoxRoute'],
    problems: [
      'my parcel says delivered but it is not here',
      'order {order} still has not shipped after {days}',
      'the package arrived damaged',
      'tracking has not updated in {days}',
      'driver left my parcel in the rain',
      'waited at home all day and no delivery',
      'missing items in my order',
      'got the wrong item and return label does not work',
      'my order was cancelled without telling me',
      'delivery window was 8 to 12 and it is now 6pm',
    ],
    questions: [
      'do you deliver on {weekday}?',
      'can I change the delivery address for order {order}?',
      'how long does a refund usually take?',
      'where can I find my tracking number?',
      'do you ship to Canada?',
      'can I return an item without the box?',
      'what happens if my parcel is lost?',
    ],
    praise: [
      'parcel arrived a day early',
      'the driver was so friendly',
      'refund came through in {mins}',
      'return was super easy',
      'my order arrived perfectly packed',
    ],
  },
  {
    handles: ['NetWave', 'TelcoNorth', 'BrightFiber'],
    problems: [
      'internet has been down since {weekday}',
      'no signal at home for {days}',
      'my bill went up {amount} without any notice',
      'technician never showed up',
      'speed is a fraction of what I pay for',
      'wifi drops every {mins}',
      'you cut off my line by mistake',
      'roaming charges of {amount} for one day',
    ],
    questions: [
      'is there an outage in my area?',
      'how do I upgrade my plan?',
      'can I pause my contract while abroad?',
      'what is the cancellation fee?',
      'how do I set up the new router?',
      'can I move my service to a new address?',
    ],
    praise: [
      'technician fixed everything in {mins}',
      'fastest internet I have had',
      'support sorted my bill straight away',
      'switched to you last month and zero issues',
    ],
  },
  {
    handles: ['Kestrel_Bank', 'CoinHarbor', 'MintPay'],
    problems: [
      'my card was declined for no reason',
      'transfer from {weekday} still not in my account',
      'locked out of the app for {days}',
      'you blocked my card while I was abroad',
      'a payment of {amount} went out twice',
      'fees I never agreed to on my statement',
      'my dispute was closed without an answer',
    ],
    questions: [
      'how do I order a new card?',
      'what is the daily transfer limit?',
      'can I change my PIN in the app?',
      'how long does an international transfer take?',
      'where do I find my account statement?',
      'do you charge fees for payments abroad?',
    ],
    praise: [
      'fraud team caught a bad charge and fixed it fast',
      'new card arrived in {days}',
      'the app update is really good',
      '{agent} on the phone was so helpful',
    ],
  },
  {
    handles: ['Orbitly', 'AppNest', 'CloudPantry'],
    problems: [
      'app crashes every time I open it',
      'lost all my data after the update',
      'cannot log in since {weekday}',
      'subscription renewed after I cancelled',
      'password reset email never arrives',
      'export has been broken for {weeks}',
      'paid for premium and still see ads',
      'the sync deleted my files',
    ],
    questions: [
      'how do I cancel my subscription?',
      'is there a student discount?',
      'can I export my data to csv?',
      'does the app work offline?',
      'when is the next update coming?',
      'how do I add a second user?',
      'how do I get a refund if I cancel today?',
    ],
    praise: [
      'the new update is so much faster',
      'support fixed my account in {mins}',
      'best app for this by far',
      'your team answered my question within {mins}',
    ],
  },
  {
    handles: ['RailCity', 'StayWell_Hotels', 'Rentaro'],
    problems: [
      'train cancelled and no replacement bus',
      'room was not ready until {time}',
      'booked a double room and got a single',
      'rental car was not there when we landed',
      'train {hours} late and the toilets were out of order',
      'no hot water in our room for {days}',
      'charged a deposit of {amount} that never came back',
    ],
    questions: [
      'is breakfast included in my booking?',
      'can I bring my dog?',
      'what time is check out?',
      'do I need to print my ticket?',
      'can I change my reservation to {weekday}?',
      'is there parking at the station?',
    ],
    praise: [
      'staff at the front desk were lovely',
      'train was on time and spotless',
      'room upgrade was a lovely surprise',
      '{agent} went out of her way to help us',
    ],
  },
];

const NEUTRAL_REQUESTS = [
  'just sent you a DM with my booking reference',
  'following up on case {ref}',
  'please check your DMs',
  'I would like to update my email address',
  'sent the details you asked for',
  'my reference is {ref}',
  'can someone call me back about case {ref}?',
  'please send me the invoice for order {order}',
  'where can I find your opening hours?',
  'what is the best way to contact you?',
  'do you have a phone number for customer service?',
  'booked for {weekday}, see you then',
];

const NEGATIVE_TAILS = [
  'thanks for nothing',
  'unbelievable',
  'never again',
  'ridiculous',
  'this is a joke',
  'not happy',
  'so done with you',
  'worst service ever',
  'fix this',
  'absolutely useless',
  'again',
  'seriously?',
  'how hard can it be',
  'what a mess',
  'I want my money back',
  'is anyone there?',
  'no one cares',
  'smh',
  'ugh',
];

const SARCASTIC_OPENERS = [
  'great,',
  'love that',
  'thanks a lot,',
  'wow,',
  'awesome,',
  'nice job,',
  'well done,',
  'perfect,',
  'so glad I chose you,',
  'fantastic service as always,',
];

const SARCASTIC_TAILS = [
  'great service',
  'thanks so much',
  'really impressive',
  'love it',
  'best company ever',
  'keep it up',
  'amazing as always',
];

const RHETORICAL = [
  'why is it so hard to get a straight answer?',
  'how is this still not fixed?',
  'does anyone there actually read these?',
  'why do I even bother',
  'how do you stay in business?',
  'what am I paying for?',
];

const NEGATIONS = [
  'still have not heard back',
  'still have not received it',
  'nobody has helped so far',
  'not impressed',
  'not what I paid for',
  'never got an answer',
  'no one is picking up',
  "can't believe this",
  "don't bother calling them",
];

const POSITIVE_TAILS = [
  'thank you!',
  'thanks so much',
  'great service',
  'well done',
  'you guys rock',
  'really appreciate it',
  'love it',
  'impressed',
  'made my day',
  'will book again',
  'no complaints',
  'could not be happier',
  'not bad at all',
];

const RECOVERIES = [
  'but {agent} sorted it out in {mins}',
  'but your team fixed it quickly',
  'but support called back the same day and fixed it',
  'but support called me back within the hour',
];

const NEUTRAL_OPENERS = ['hi', 'hello', 'hey', 'quick question', 'hi there', 'morning'];
const NEUTRAL_CLOSERS = ['thanks', 'thank you', 'thx', 'cheers', 'ty'];

const HASHTAGS: Readonly<Record<Sentiment, readonly string[]>> = {
  negative: ['#fail', '#customerservice', '#neveragain', '#delayed', '#refund', '#disappointed'],
  neutral: ['#travel', '#question', '#help', '#update'],
  positive: ['#happycustomer', '#thankyou', '#greatservice', '#impressed'],
};

const ABBREVIATIONS: readonly (readonly [RegExp, string])[] = [
  [/\bplease\b/g, 'pls'],
  [/\byou\b/g, 'u'],
  [/\byour\b/g, 'ur'],
  [/\bhours\b/g, 'hrs'],
  [/\bminutes\b/g, 'mins'],
  [/\bthanks\b/g, 'thx'],
  [/\bbecause\b/g, 'bc'],
  [/\bhave not\b/g, "haven't"],
  [/\bdoes not\b/g, "doesn't"],
  [/\bdid not\b/g, 'didnt'],
  [/\bcannot\b/g, 'cant'],
  [/\bit is\b/g, "it's"],
];

const AGENTS = ['Maria', 'Tom', 'Priya', 'Jonas', 'Aisha', 'Luca', 'Mei', 'Carlos'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function slotValue(rng: RandomGenerator, name: string): string {
  switch (name) {
    case 'duration':
      return pick(rng, [
        `${intBetween(rng, 2, 5)} hours`,
        `${intBetween(rng, 40, 90)} minutes`,
        'over an hour',
        'an hour',
      ]);
    case 'hours':
      return pick(rng, [`${intBetween(rng, 2, 9)} hours`, `${intBetween(rng, 2, 9)}hrs`, 'hours']);
    case 'mins':
      return `${intBetween(rng, 5, 30)} minutes`;
    case 'days':
      return pick(rng, [`${intBetween(rng, 3, 12)} days`, 'a week', 'two weeks']);
    case 'weeks':
      return pick(rng, [`${intBetween(rng, 3, 8)} weeks`, 'a month', 'two months']);
    case 'n':
      return String(intBetween(rng, 3, 6));
    case 'ref':
      return `#${intBetween(rng, 100_000, 999_999)}`;
    case 'order':
      return `#${intBetween(rng, 10_000, 99_999)}`;
    case 'flight':
      return `${pick(rng, ['SL', 'AN', 'FC'])}${intBetween(rng, 100, 2999)}`;
    case 'amount':
      return pick(rng, [`$${intBetween(rng, 15, 400)}`, `€${intBetween(rng, 15, 400)}`]);
    case 'agent':
      return pick(rng, AGENTS);
    case 'weekday':
      return pick(rng, WEEKDAYS);
    case 'time':
      return `${intBetween(rng, 4, 9)}pm`;
    default:
      throw new Error(`customer-posts: unknown slot {${name}}`);
  }
}

function fill(rng: RandomGenerator, template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => slotValue(rng, name));
}

function negativePost(rng: RandomGenerator, domain: Domain): string {
  const problems = [...domain.problems, ...COMMON_PROBLEMS];
  const problem = fill(rng, pick(rng, problems));
  const style = pickWeighted(
    rng,
    ['facts', 'feeling', 'sarcasm', 'rhetorical', 'negation'],
    [0.35, 0.25, 0.15, 0.1, 0.15],
  );
  const second = chance(rng, 0.3) ? fill(rng, pick(rng, problems)) : undefined;
  const facts = second === undefined || second === problem ? problem : `${problem}, ${second}`;
  switch (style) {
    case 'facts':
      return facts;
    case 'feeling':
      return `${facts}. ${pick(rng, NEGATIVE_TAILS)}`;
    case 'sarcasm':
      return chance(rng, 0.5)
        ? `${pick(rng, SARCASTIC_OPENERS)} ${facts}`
        : `${facts}. ${pick(rng, SARCASTIC_TAILS)}`;
    case 'rhetorical':
      return `${facts}. ${pick(rng, RHETORICAL)}`;
    default:
      return `${facts}. ${pick(rng, NEGATIONS)}`;
  }
}

function neutralPost(rng: RandomGenerator, domain: Domain): string {
  const core = fill(
    rng,
    chance(rng, 0.7) ? pick(rng, domain.questions) : pick(rng, NEUTRAL_REQUESTS),
  );
  const opener = chance(rng, 0.3) ? `${pick(rng, NEUTRAL_OPENERS)}, ` : '';
  const closer = chance(rng, 0.3) ? ` ${pick(rng, NEUTRAL_CLOSERS)}` : '';
  return opener + core + closer;
}

function positivePost(rng: RandomGenerator, domain: Domain): string {
  if (chance(rng, 0.2)) {
    const problem = fill(rng, pick(rng, [...domain.problems, ...COMMON_PROBLEMS]));
    return `${problem} ${fill(rng, pick(rng, RECOVERIES))}. ${pick(rng, POSITIVE_TAILS)}`;
  }
  const praise = fill(rng, pick(rng, domain.praise));
  return chance(rng, 0.5)
    ? `${pick(rng, ['thanks', 'thank you', 'shoutout', 'big thanks'])}, ${praise}`
    : `${praise}. ${pick(rng, POSITIVE_TAILS)}`;
}

/** Mention, hashtag, abbreviations, case and punctuation as people type them. */
function style(rng: RandomGenerator, text: string, handle: string, sentiment: Sentiment): string {
  let post = text;
  if (chance(rng, 0.3))
    for (const [pattern, short] of ABBREVIATIONS) post = post.replace(pattern, short);
  if (chance(rng, 0.6)) post = post.charAt(0).toUpperCase() + post.slice(1);
  if (sentiment === 'negative' && chance(rng, 0.08)) post = post.toUpperCase();
  if (chance(rng, 0.35)) post = post.replace(/[.?!]$/, '');
  else if (chance(rng, 0.2)) post += post.endsWith('?') ? '?' : pick(rng, ['!!', '!!!', '...']);
  if (chance(rng, 0.15)) post += ` ${pick(rng, HASHTAGS[sentiment])}`;
  const mention = `@${handle}`;
  const where = pickWeighted(rng, ['start', 'end', 'none'], [0.6, 0.15, 0.25]);
  if (where === 'start') return `${mention} ${post}`;
  if (where === 'end') return `${post} ${mention}`;
  return post;
}

const SENTIMENTS: readonly Sentiment[] = ['negative', 'neutral', 'positive'];

export interface CustomerPostOptions {
  n: number;
  /** An integer in [0, 2^32 - 1]. */
  seed: number;
  /** Shares of negative, neutral and positive posts; default 0.45 / 0.30 / 0.25. */
  weights?: readonly [number, number, number];
  /** Probability that a post's label is replaced by another one (as in inquiries.ts); default 0. */
  noiseRate?: number;
}

/**
 * `n` posts; deterministic per seed, and post i depends only on seed and i. The default mix
 * leans negative, as messages to a company's support do.
 */
export function generateCustomerPosts(options: CustomerPostOptions): CustomerPost[] {
  const { n, seed } = options;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
  const weights = options.weights ?? [0.45, 0.3, 0.25];
  const noiseRate = options.noiseRate ?? 0;
  if (!(noiseRate >= 0 && noiseRate <= 1))
    throw new RangeError(`noiseRate must be in [0, 1], got ${noiseRate}`);
  const streams = recordStreams(seed);
  const posts: CustomerPost[] = [];
  for (let i = 0; i < n; i++) {
    const { text: rng, noise } = streams.next().value;
    const sentiment = pickWeighted(rng, SENTIMENTS, weights);
    const domain = pick(rng, DOMAINS);
    const text =
      sentiment === 'negative'
        ? negativePost(rng, domain)
        : sentiment === 'neutral'
          ? neutralPost(rng, domain)
          : positivePost(rng, domain);
    const observed =
      noiseRate > 0 && chance(noise, noiseRate)
        ? pick(
            noise,
            SENTIMENTS.filter((other) => other !== sentiment),
          )
        : sentiment;
    posts.push({
      text: style(rng, text, pick(rng, domain.handles), sentiment),
      sentiment: observed,
    });
  }
  return posts;
}
