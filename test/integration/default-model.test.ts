/**
 * The default model (what `npm start` serves, trained once into the cache) with the shipped
 * routing policy, on the original system's README examples: they come out as a person would
 * expect. The classification is the model's; urgency and escalation add the text rules and the
 * policy, as the API does.
 */
import { readFile } from 'node:fs/promises';
import { createLogger } from '../../lib/logger.js';
import { ModelRuntime, type Classification } from '../../lib/model/runtime.js';
import { parsePolicyYaml, type Policy } from '../../lib/routing/policy.js';
import { routeInquiry } from '../../lib/routing/route-inquiry.js';
import { ensureDefaultBundle } from '../../pipelines/src/train/default-bundle.js';
import { cacheRoot } from '../../scripts/testbed/versions.js';

describe('the default model on the original README examples', () => {
  let runtime: ModelRuntime;
  let policy: Policy;

  beforeAll(async () => {
    const dir = await ensureDefaultBundle(cacheRoot(), createLogger('default-model-test', 'warn'));
    runtime = await ModelRuntime.load(dir);
    policy = parsePolicyYaml(await readFile('config/routing_rules.yaml', 'utf8'));
  }, 900_000);

  afterAll(async () => {
    await runtime.release();
  });

  async function handle(body: string) {
    const [classification] = (await runtime.classify([body])) as [Classification];
    const routed = routeInquiry(
      { subject: '', body, sender_email: 'someone@example.com', received_at: new Date() },
      classification,
      policy,
      (_pool, consultants) => consultants[0] ?? null,
    );
    return { classification, ...routed };
  }

  it('"I need help with login problems": technical support, not critical, not escalated', async () => {
    const { classification, urgency, decision } = await handle('I need help with login problems');
    expect(classification.category!.label).toBe('technical_support');
    expect(urgency.label).not.toBe('critical');
    expect(decision.department).toBe('technical_support');
    expect(decision.escalated).toBe(false);
  });

  it('"URGENT … ASAP … blocking my work": high or critical', async () => {
    const { urgency } = await handle(
      'URGENT: the report export fails every time, I need this fixed ASAP, it is blocking my work',
    );
    expect(['high', 'critical']).toContain(urgency.label);
  });

  it('"we will sue you": negative, and legal', async () => {
    const { classification, decision } = await handle('we will sue you');
    expect(classification.sentiment!.label).toBe('negative');
    expect(classification.category!.label).toBe('legal');
    expect(decision.department).toBe('legal');
    expect(decision.escalated).toBe(true);
  });

  // Hand-written customer-style messages, obvious cases only: a check that the sentiment head
  // reads complaints told through facts, not a set to tune on (written before any model was
  // measured on them; no generator template is copied).
  const sentimentOf = async (text: string) => {
    const [classification] = (await runtime.classify([text])) as [Classification];
    return classification.sentiment!.label;
  };

  it.each([
    ['my flight was delayed 4 hours and nobody told us', 'negative'],
    ['@shop ordered on the 2nd, still nothing. tracking hasnt moved in 10 days', 'negative'],
    ['I was on hold for 2 hours and then they hung up', 'negative'],
    ['you took the payment twice and the bank says it is your problem', 'negative'],
    ['THIRD EMAIL. STILL NO ANSWER.', 'negative'],
    ['refund promised a month ago and it never came', 'negative'],
    ['what time does the store open on sunday?', 'neutral'],
    ['how do I change the email address on my account?', 'neutral'],
    ['thank you so much, the replacement arrived today and works perfectly', 'positive'],
    ['the lady at the desk was so kind and helpful, great service', 'positive'],
  ])('sentiment of a customer message: %s → %s', async (text, sentiment) => {
    expect(await sentimentOf(text)).toBe(sentiment);
  });

  // Known misses of the committed default model (docs/models.md, limits): sarcasm, and a
  // neutral question about an order read as a complaint. Jest reports these as passing while
  // the model still gets them wrong, and as failing once it gets them right (then move them up).
  it.failing.each([
    ['great, my luggage is in another country. thanks a lot', 'negative'],
    ['can you tell me if my order has shipped? order number 55120', 'neutral'],
  ])('known miss: %s → %s', async (text, sentiment) => {
    expect(await sentimentOf(text)).toBe(sentiment);
  });
});
