/**
 * Phrases that carry sentiment and urgency. The generator draws a message's sentiment and
 * urgency first and then writes them into the text with these phrases, so both labels can be
 * read from the text. Customer and employee phrasings differ (an employee does not threaten to
 * switch providers).
 */
import type { Category, Sentiment, Urgency } from './labels.js';

export type Audience = 'customer' | 'employee';

interface SentimentPhrases {
  readonly openers: readonly string[];
  readonly closers: readonly string[];
}

const NEGATIVE_COMMON: SentimentPhrases = {
  openers: [
    'I am extremely frustrated.',
    'This is completely unacceptable.',
    'This is the third time I am writing about this.',
    'Honestly, this is getting ridiculous.',
    'I am really annoyed that I have to chase this again.',
    'Unfortunately, this keeps happening.',
    'I am a bit disappointed, to be honest.',
    'Sadly, this is not the first time.',
    'I am not happy about this at all.',
    'Nobody has answered my previous messages, which is really frustrating.',
    'I am losing my patience with this.',
  ],
  closers: [
    'Very disappointing.',
    'Frankly, I expected much better.',
    'I hope someone actually reads this time.',
    'This has been a terrible experience.',
    'I am really fed up with this situation.',
    'Please do not send me another generic reply.',
    'This is not how I expected this to be handled.',
  ],
};

const NEGATIVE_BY_AUDIENCE: Readonly<Record<Audience, SentimentPhrases>> = {
  customer: {
    openers: [
      'Your support has been a real letdown lately.',
      'For what we pay, this is not acceptable.',
      'I am very disappointed with your service.',
    ],
    closers: [
      'We are seriously considering cancelling our subscription.',
      'If this is not resolved, we will move to another provider.',
      'Honestly, your product used to be better than this.',
    ],
  },
  employee: {
    openers: ['This is really stressful for me.', 'I feel like nobody is listening to me.'],
    closers: [
      'I am upset that this is still not sorted out.',
      'I really did not expect this from our own HR team.',
    ],
  },
};

const POSITIVE_COMMON: SentimentPhrases = {
  openers: [
    'Hope you are having a great week!',
    'First of all, thank you for the excellent help last time!',
    'I really appreciate how quickly you usually respond.',
    'Your team has always been fantastic to work with.',
    'Thanks again for all your help so far, it has been great!',
  ],
  closers: [
    'Thanks so much, it is really appreciated!',
    'You are the best, thank you!',
    'Really appreciate all your hard work.',
    'Thanks a million, have a wonderful day!',
    'Keep up the great work!',
    'Many thanks, you have been very helpful as always.',
  ],
};

const POSITIVE_BY_AUDIENCE: Readonly<Record<Audience, SentimentPhrases>> = {
  customer: {
    openers: [
      'We absolutely love {product}.',
      'We are really happy with {product} so far.',
      'Your product has made our lives so much easier.',
    ],
    closers: [
      'Honestly, {product} is one of the best tools we use.',
      'Happy customers here, just so you know!',
    ],
  },
  employee: {
    openers: ['HR has always been super helpful, so thank you in advance!'],
    closers: ['I love working here, so thank you for making this easy!'],
  },
};

const NEUTRAL: SentimentPhrases = {
  openers: [
    'I hope you are well.',
    'I have a question.',
    'Quick question.',
    'I am reaching out about the following.',
    'Hope all is well.',
  ],
  closers: [
    'Thank you.',
    'Thanks for your help.',
    'Looking forward to your reply.',
    'Thank you in advance.',
    'Let me know if you need anything else.',
  ],
};

function sentimentPhrases(sentiment: Sentiment, audience: Audience): SentimentPhrases {
  if (sentiment === 'neutral') return NEUTRAL;
  const [common, specific] =
    sentiment === 'negative'
      ? [NEGATIVE_COMMON, NEGATIVE_BY_AUDIENCE[audience]]
      : [POSITIVE_COMMON, POSITIVE_BY_AUDIENCE[audience]];
  return {
    openers: [...common.openers, ...specific.openers],
    closers: [...common.closers, ...specific.closers],
  };
}

const SENTIMENT_PHRASES: Readonly<Record<Sentiment, Readonly<Record<Audience, SentimentPhrases>>>> =
  {
    negative: {
      customer: sentimentPhrases('negative', 'customer'),
      employee: sentimentPhrases('negative', 'employee'),
    },
    neutral: { customer: NEUTRAL, employee: NEUTRAL },
    positive: {
      customer: sentimentPhrases('positive', 'customer'),
      employee: sentimentPhrases('positive', 'employee'),
    },
  };

/** Phrases that open a message in the given sentiment. */
export function sentimentOpeners(sentiment: Sentiment, audience: Audience): readonly string[] {
  return SENTIMENT_PHRASES[sentiment][audience].openers;
}

/** Phrases that close a message in the given sentiment. */
export function sentimentClosers(sentiment: Sentiment, audience: Audience): readonly string[] {
  return SENTIMENT_PHRASES[sentiment][audience].closers;
}

/** Mild words that can lead the problem statement of a negative message. */
export const NEGATIVE_LEADS = ['Unfortunately, ', 'Once again, ', 'Yet again, ', 'Sadly, '];

/** Tails of very short messages, by sentiment ('' means no tail). */
export const SHORT_SENTIMENT_TAILS: Readonly<Record<Sentiment, readonly string[]>> = {
  negative: [
    'again??',
    'seriously??',
    'this is ridiculous',
    'so annoying',
    'not happy',
    'fix it please!!',
    'really frustrated',
    'unacceptable',
  ],
  neutral: ['', '', '', 'thanks', '?'],
  positive: ['thanks!!', 'thx, you guys rock', 'love the product btw :)', 'cheers, great work!'],
};

interface UrgencyPhrases {
  /** Cues that name the urgency ("immediately", "no rush"). */
  readonly explicit: readonly string[];
  /** Cues that imply it through consequences ("our whole team cannot work"). */
  readonly implicit: readonly string[];
}

const URGENCY_PHRASES: Readonly<Record<Urgency, UrgencyPhrases>> = {
  critical: {
    explicit: [
      'This is critical and needs your attention immediately.',
      'Please treat this as an emergency.',
      'We need this resolved immediately.',
      'Please escalate this right now.',
      'This is a top priority emergency for us.',
      'I need a response within the hour.',
      'This needs to be fixed right now, not tomorrow.',
    ],
    implicit: [
      'Our whole team cannot work until this is resolved.',
      'Every hour this continues is costing us a lot of money.',
      'We are completely stuck right now and nothing moves.',
    ],
  },
  high: {
    explicit: [
      'This is urgent.',
      'Please handle this as soon as possible.',
      'I need an answer by tomorrow.',
      'Please prioritise this.',
      'This is blocking us.',
      'ASAP please.',
      'We need this sorted by end of day tomorrow.',
      'Could you please look at this urgently?',
    ],
    implicit: [
      'Our team is stuck until this is sorted out.',
      'We cannot move forward with the project until this is resolved.',
      'I have a meeting with our director tomorrow morning about this.',
    ],
  },
  medium: {
    explicit: [
      'It would be good to sort this out this week.',
      'Could you get back to me in the next few days?',
      'We would like this resolved soon.',
      'A reply this week would be great.',
      'Please look into this when you can in the coming days.',
    ],
    implicit: [
      'We have a review meeting on {weekday}.',
      'We would like to have this settled before the end of the month.',
      'It is starting to slow us down a little.',
      'It would help us plan the next few weeks.',
    ],
  },
  low: {
    explicit: [
      'No rush on this.',
      'There is no urgency.',
      'Whenever you get a chance.',
      'Just FYI.',
      'Not urgent at all.',
      'Low priority, just wanted to flag it.',
      'Take your time.',
    ],
    implicit: [
      'It is not affecting our work.',
      'This is more for future planning.',
      'Something to keep in mind for the future.',
      'We can work around it for now.',
    ],
  },
};

/**
 * Implicit cues that fit any customer inquiry of a category. Employees writing to HR get
 * topic-specific cues from their intent instead (intents.ts).
 */
const CATEGORY_IMPLICIT_CUES: Readonly<
  Partial<Record<Category, Partial<Record<Urgency, readonly string[]>>>>
> = {
  technical_support: {
    critical: [
      'Production is down and none of our customers can place orders.',
      'Our whole company is at a standstill.',
      'We are losing sales every minute this continues.',
      'Our support team cannot help a single customer right now.',
    ],
    high: [
      'Several customers have already complained.',
      'Half of our team cannot do their work properly.',
    ],
  },
  billing: {
    critical: [
      'Our account has been suspended and our entire team is locked out.',
      'Because of this our bank account is overdrawn and payroll runs today.',
    ],
    high: [
      'Our finance team closes the books tomorrow.',
      'We cannot pay any other invoices until this is cleared.',
    ],
  },
  sales: {
    critical: ['Our current vendor contract ends tonight and we have nothing to replace it.'],
    high: ['We have to make the decision by tomorrow.', 'Our budget approval expires on Friday.'],
  },
};

/** Implicit cues for employees, whatever the topic. */
const EMPLOYEE_IMPLICIT_CUES: Readonly<Record<Urgency, readonly string[]>> = {
  critical: [],
  high: ['I cannot do my job properly until this is sorted out.'],
  medium: URGENCY_PHRASES.medium.implicit,
  low: URGENCY_PHRASES.low.implicit,
};

/** Explicit urgency cues of a level. */
export function explicitUrgencyCues(urgency: Urgency): readonly string[] {
  return URGENCY_PHRASES[urgency].explicit;
}

const implicitCueCache = new Map<string, readonly string[]>();

/**
 * Implicit urgency cues of a level for a category and audience (possibly none, e.g. critical
 * for employees); topic-specific cues are added by the caller.
 */
export function implicitUrgencyCues(
  urgency: Urgency,
  category: Category,
  audience: Audience,
): readonly string[] {
  const key = `${category}/${urgency}/${audience}`;
  let cues = implicitCueCache.get(key);
  if (cues === undefined) {
    cues =
      audience === 'employee'
        ? EMPLOYEE_IMPLICIT_CUES[urgency]
        : [
            ...URGENCY_PHRASES[urgency].implicit,
            ...(CATEGORY_IMPLICIT_CUES[category]?.[urgency] ?? []),
          ];
    implicitCueCache.set(key, cues);
  }
  return cues;
}

/** Tails of very short messages, by urgency ('' means no tail). */
export const SHORT_URGENCY_TAILS: Readonly<Record<Urgency, readonly string[]>> = {
  critical: ['EMERGENCY', 'need help immediately', 'right now please!!', 'whole team blocked!!'],
  high: ['asap pls', 'urgent', 'need it by tomorrow', 'blocking us'],
  medium: ['', 'this week if possible', 'soon pls', '', 'need help with this'],
  low: ['', '', 'no rush', 'whenever', 'fyi', 'need help when you have time'],
};

/** Subject prefixes that announce urgency. */
export const SUBJECT_URGENCY_PREFIXES: Readonly<Record<Urgency, readonly string[]>> = {
  critical: ['URGENT: ', 'CRITICAL: ', '[P1] ', 'EMERGENCY: ', 'Urgent - '],
  high: ['Urgent: ', 'ASAP: ', '[High priority] ', 'Time sensitive: '],
  medium: ['Follow-up needed: '],
  low: ['FYI: ', 'Low priority: '],
};
