/** The label heads of an inquiry and the values each head can take. */
export const CATEGORIES = [
  'technical_support',
  'billing',
  'sales',
  'hr',
  'legal',
  'product_feedback',
] as const;
export const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;
export const URGENCIES = ['low', 'medium', 'high', 'critical'] as const;

export type Category = (typeof CATEGORIES)[number];
export type Sentiment = (typeof SENTIMENTS)[number];
export type Urgency = (typeof URGENCIES)[number];
export type Channel = 'email' | 'web_form' | 'chat' | 'phone_transcript';

/** Relative weights in the order of SENTIMENTS: negative, neutral, positive. */
export type SentimentWeights = readonly [number, number, number];
/** Relative weights in the order of URGENCIES: low, medium, high, critical. */
export type UrgencyWeights = readonly [number, number, number, number];
