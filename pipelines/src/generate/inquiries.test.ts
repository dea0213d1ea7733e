import {
  CATEGORIES,
  generateInquiries,
  generateInquiryStream,
  SENTIMENTS,
  URGENCIES,
  type GeneratedInquiry,
} from './inquiries.js';

const SAMPLE = generateInquiries({ n: 5000, seed: 2024, noiseRate: 0 });

function share(records: readonly GeneratedInquiry[], test: (r: GeneratedInquiry) => boolean) {
  return records.filter(test).length / records.length;
}

function text(record: GeneratedInquiry): string {
  return `${record.subject}\n${record.body}`;
}

describe('determinism', () => {
  it('gives byte-identical output for the same seed and n', () => {
    const first = JSON.stringify(generateInquiries({ n: 300, seed: 11 }));
    const second = JSON.stringify(generateInquiries({ n: 300, seed: 11 }));
    expect(second).toBe(first);
  });

  it('makes record i independent of n: a smaller run is a prefix of a larger one', () => {
    const small = generateInquiries({ n: 10, seed: 11 });
    const large = generateInquiries({ n: 1000, seed: 11 });
    expect(large.slice(0, 10)).toEqual(small);
  });

  it('streams exactly the records of generateInquiries', () => {
    const streamed = [...generateInquiryStream({ n: 200, seed: 5 })];
    expect(streamed).toEqual(generateInquiries({ n: 200, seed: 5 }));
  });

  it('gives different data for different seeds, even adjacent ones', () => {
    const a = generateInquiries({ n: 200, seed: 1 });
    const b = generateInquiries({ n: 200, seed: 2 });
    const sameBody = a.filter((record, i) => record.body === b[i]?.body).length;
    expect(sameBody).toBeLessThan(5);
  });

  it('derives ids from seed and index', () => {
    const records = generateInquiries({ n: 3, seed: 77 });
    expect(records.map((r) => r.id)).toEqual(['gen-77-0', 'gen-77-1', 'gen-77-2']);
  });

  it('spreads received_at over the 30 days before end', () => {
    const end = new Date('2025-06-15T12:00:00Z');
    const records = generateInquiries({ n: 2000, seed: 3, end });
    const times = records.map((r) => Date.parse(r.received_at));
    expect(Math.max(...times)).toBeLessThan(end.getTime());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(end.getTime() - 30 * 86_400_000);
    const days = new Set(times.map((t) => Math.floor((end.getTime() - t) / 86_400_000)));
    expect(days.size).toBe(30);
    expect(records.every((r) => new Date(r.received_at).toISOString() === r.received_at)).toBe(
      true,
    );
  });

  it('rejects invalid options before yielding anything', () => {
    expect(() => generateInquiryStream({ n: -1, seed: 1 })).toThrow(RangeError);
    expect(() => generateInquiryStream({ n: 1.5, seed: 1 })).toThrow(RangeError);
    expect(() => generateInquiryStream({ n: 1, seed: -1 })).toThrow(RangeError);
    expect(() => generateInquiryStream({ n: 1, seed: 2 ** 32 })).toThrow(RangeError);
    expect(() => generateInquiryStream({ n: 1, seed: 1, noiseRate: 1.2 })).toThrow(RangeError);
    expect(() => generateInquiryStream({ n: 1, seed: 1, end: new Date('nope') })).toThrow(
      RangeError,
    );
  });
});

describe('label distributions (5,000 records)', () => {
  it('covers every category with plausible shares', () => {
    for (const category of CATEGORIES) {
      const s = share(SAMPLE, (r) => r.true_category === category);
      expect(s).toBeGreaterThan(0.06);
      expect(s).toBeLessThan(0.4);
    }
  });

  it('covers every sentiment with plausible shares', () => {
    for (const sentiment of SENTIMENTS) {
      const s = share(SAMPLE, (r) => r.true_sentiment === sentiment);
      expect(s).toBeGreaterThan(0.1);
      expect(s).toBeLessThan(0.65);
    }
  });

  it('has roughly 35/35/20/10 low/medium/high/critical urgency', () => {
    const expected = { low: 0.35, medium: 0.35, high: 0.2, critical: 0.1 };
    for (const urgency of URGENCIES) {
      expect(share(SAMPLE, (r) => r.true_urgency === urgency)).toBeCloseTo(expected[urgency], 1);
    }
  });

  it('has roughly 55/25/15/5 email/web_form/chat/phone_transcript channels', () => {
    const expected = { email: 0.55, web_form: 0.25, chat: 0.15, phone_transcript: 0.05 };
    for (const [channel, expectedShare] of Object.entries(expected)) {
      expect(share(SAMPLE, (r) => r.channel === channel)).toBeCloseTo(expectedShare, 1);
    }
  });

  it('correlates sentiment with category without determining it', () => {
    const positive = (category: string) =>
      share(
        SAMPLE.filter((r) => r.true_category === category),
        (r) => r.true_sentiment === 'positive',
      );
    const negative = (category: string) =>
      share(
        SAMPLE.filter((r) => r.true_category === category),
        (r) => r.true_sentiment === 'negative',
      );
    expect(positive('product_feedback')).toBeGreaterThan(positive('billing') + 0.2);
    expect(negative('billing')).toBeGreaterThan(negative('sales') + 0.2);
    for (const category of CATEGORIES) {
      const inCategory = SAMPLE.filter((r) => r.true_category === category);
      const common = SENTIMENTS.filter(
        (sentiment) => share(inCategory, (r) => r.true_sentiment === sentiment) > 0.1,
      );
      expect(common.length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('label noise', () => {
  it('keeps observed labels equal to the true ones at noiseRate 0', () => {
    for (const r of SAMPLE) {
      expect([r.category, r.sentiment, r.urgency]).toEqual([
        r.true_category,
        r.true_sentiment,
        r.true_urgency,
      ]);
    }
  });

  it('flips each head independently at the requested rate, never to the same label', () => {
    const noisy = generateInquiries({ n: 10_000, seed: 99, noiseRate: 0.2 });
    const heads = [
      ['category', 'true_category'],
      ['sentiment', 'true_sentiment'],
      ['urgency', 'true_urgency'],
    ] as const;
    for (const [observed, truth] of heads) {
      const flipped = share(noisy, (r) => r[observed] !== r[truth]);
      expect(Math.abs(flipped - 0.2)).toBeLessThan(0.03);
    }
    const allThree = share(
      noisy,
      (r) =>
        r.category !== r.true_category &&
        r.sentiment !== r.true_sentiment &&
        r.urgency !== r.true_urgency,
    );
    expect(allThree).toBeLessThan(0.02);
    expect(noisy.every((r) => (CATEGORIES as readonly string[]).includes(r.category))).toBe(true);
  });

  it('changes only observed labels, never texts or true labels', () => {
    const clean = generateInquiries({ n: 500, seed: 99, noiseRate: 0 });
    const noisy = generateInquiries({ n: 500, seed: 99, noiseRate: 0.5 });
    const strip = (r: GeneratedInquiry) => ({ ...r, category: 0, sentiment: 0, urgency: 0 });
    expect(noisy.map(strip)).toEqual(clean.map(strip));
  });
});

describe('text variety', () => {
  it('repeats almost no body', () => {
    const distinct = new Set(SAMPLE.map((r) => r.body)).size;
    expect(distinct).toBeGreaterThan(SAMPLE.length * 0.99);
  });

  it('uses many distinct subjects', () => {
    expect(new Set(SAMPLE.map((r) => r.subject)).size).toBeGreaterThan(1500);
  });

  it('leaves no unfilled slot behind', () => {
    expect(SAMPLE.filter((r) => /\{[a-z]+\d?\}/.test(text(r)))).toEqual([]);
  });

  it('mixes very short, long, lowercase-only, quoted and forwarded messages', () => {
    expect(share(SAMPLE, (r) => r.body.length < 60)).toBeGreaterThan(0.03);
    expect(share(SAMPLE, (r) => r.body.split('\n\n').length >= 5)).toBeGreaterThan(0.05);
    expect(share(SAMPLE, (r) => r.body === r.body.toLowerCase())).toBeGreaterThan(0.02);
    expect(
      share(SAMPLE, (r) => /wrote:\n>|-----Original Message-----/.test(r.body)),
    ).toBeGreaterThan(0.03);
    expect(share(SAMPLE, (r) => r.body.includes('Forwarded message'))).toBeGreaterThan(0.01);
  });

  it('writes phone calls as spoken transcripts and chats without signatures', () => {
    const calls = SAMPLE.filter((r) => r.channel === 'phone_transcript');
    expect(calls.length).toBeGreaterThan(100);
    for (const call of calls) {
      expect(call.body).toMatch(/^Agent: /m);
      expect(call.body).toMatch(/I'm calling|it's about|it's regarding/);
    }
    const chats = SAMPLE.filter((r) => r.channel === 'chat');
    expect(share(chats, (r) => /Best regards|Kind regards|Sincerely/.test(r.body))).toBe(0);
  });

  it('uses many sender domains, some free-mail and some VIP-looking', () => {
    const domains = new Set(SAMPLE.map((r) => r.sender_email.split('@')[1]));
    expect(domains.size).toBeGreaterThan(100);
    expect(
      share(SAMPLE, (r) => r.sender_email.endsWith('@bigcorp-enterprise.com')),
    ).toBeGreaterThan(0.005);
    expect(SAMPLE.every((r) => /^[a-z0-9._]+@[a-z0-9.-]+\.[a-z.]+$/.test(r.sender_email))).toBe(
      true,
    );
    expect(new Set(SAMPLE.map((r) => r.sender_name)).size).toBeGreaterThan(1000);
  });
});

describe('labels come from the text', () => {
  const STRONG_URGENCY =
    /immediately|emergency|right now|critical|urgent|asap|can't work|cannot work|standstill|today|tonight|end of day|within the hour|\[p1\]|breach|losing|stuck|locked out|not feel safe|no laptop|blocked/i;
  const CALM =
    /no rush|not urgent|whenever|fyi|take your time|low priority|no urgency|future|work around|not affecting/i;

  it('puts strong urgency cues in critical messages far more often than in low ones', () => {
    const critical = SAMPLE.filter((r) => r.true_urgency === 'critical');
    const low = SAMPLE.filter((r) => r.true_urgency === 'low');
    const criticalRate = share(critical, (r) => STRONG_URGENCY.test(text(r)));
    expect(criticalRate).toBeGreaterThan(0.85);
    expect(criticalRate).toBeGreaterThan(share(low, (r) => STRONG_URGENCY.test(text(r))) + 0.6);
  });

  it('puts calm cues in low-urgency messages far more often than in critical ones', () => {
    const low = SAMPLE.filter((r) => r.true_urgency === 'low');
    const critical = SAMPLE.filter((r) => r.true_urgency === 'critical');
    expect(share(low, (r) => CALM.test(text(r)))).toBeGreaterThan(
      share(critical, (r) => CALM.test(text(r))) + 0.4,
    );
  });

  it('leaves some low and medium messages without any cue', () => {
    const calmOrMedium = SAMPLE.filter(
      (r) => r.true_urgency === 'low' || r.true_urgency === 'medium',
    );
    const cueless = share(
      calmOrMedium,
      (r) => !STRONG_URGENCY.test(text(r)) && !CALM.test(text(r)),
    );
    expect(cueless).toBeGreaterThan(0.15);
  });

  it('writes frustration into negative messages and praise into positive ones', () => {
    const NEGATIVE =
      /frustrat|unacceptable|disappoint|ridiculous|annoy|fed up|terrible|letdown|cancel|not happy|patience|upset|stressful|listening|expected much better|seriously|again|unfortunately|sadly|generic reply|another provider|used to be better|not acceptable|not how i expected|actually reads/i;
    const PRAISE =
      /love|great|apprecia|fantastic|you are the best|happy|awesome|rock|excellent|wonderful|helpful|easier|huge improvement/i;
    const bodies = (sentiment: string) =>
      SAMPLE.filter((r) => r.true_sentiment === sentiment).map((r) => r.body);
    const rate = (texts: string[], pattern: RegExp) =>
      texts.filter((t) => pattern.test(t)).length / texts.length;
    expect(rate(bodies('negative'), NEGATIVE)).toBeGreaterThan(0.85);
    expect(rate(bodies('neutral'), NEGATIVE)).toBeLessThan(0.15);
    expect(rate(bodies('positive'), PRAISE)).toBeGreaterThan(0.85);
    expect(rate(bodies('neutral'), PRAISE)).toBeLessThan(0.35);
  });
});
