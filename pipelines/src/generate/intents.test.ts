import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import {
  AMBIGUOUS_INTENTS,
  CUSTOMER_ASIDES,
  CUSTOMER_BACKGROUND,
  CUSTOMER_FOLLOW_UPS,
  EMPLOYEE_ASIDES,
  EMPLOYEE_BACKGROUND,
  EMPLOYEE_FOLLOW_UPS,
  INTENTS,
  SPOKEN_FOLLOW_UPS,
  type Intent,
} from './intents.js';
import { CATEGORIES } from './labels.js';
import { fillSlots } from './slots.js';

const ALL_INTENTS: readonly Intent[] = [...Object.values(INTENTS).flat(), ...AMBIGUOUS_INTENTS];

function templatesOf(intent: Intent): string[] {
  return [
    ...intent.topics,
    ...intent.subjects,
    ...intent.problems,
    ...intent.details,
    ...intent.asks,
    ...intent.shorts,
    ...(intent.background ?? []),
    ...(intent.cues?.high ?? []),
    ...(intent.cues?.critical ?? []),
  ];
}

describe('phrase banks', () => {
  it('gives every category many intents, each with several phrasings', () => {
    for (const category of CATEGORIES) {
      expect(INTENTS[category].length).toBeGreaterThanOrEqual(8);
      for (const intent of INTENTS[category]) {
        expect(intent.subjects.length).toBeGreaterThanOrEqual(4);
        expect(intent.problems.length).toBeGreaterThanOrEqual(4);
        expect(intent.details.length).toBeGreaterThanOrEqual(3);
        expect(intent.asks.length).toBeGreaterThanOrEqual(2);
        expect(intent.topics.length).toBeGreaterThanOrEqual(2);
        expect(intent.shorts.length).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('uses unique intent names', () => {
    const names = ALL_INTENTS.map((intent) => intent.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('puts every category into at least two ambiguous topics, each between two categories', () => {
    for (const intent of AMBIGUOUS_INTENTS) {
      expect(intent.categories[0]).not.toBe(intent.categories[1]);
    }
    for (const category of CATEGORIES) {
      const count = AMBIGUOUS_INTENTS.filter((i) => i.categories.includes(category)).length;
      expect(count).toBeGreaterThanOrEqual(2);
    }
  });

  it('only uses known slots', () => {
    const rng = xoroshiro128plus(1);
    const templates = [
      ...ALL_INTENTS.flatMap(templatesOf),
      ...Object.values(CUSTOMER_ASIDES).flat(),
      ...Object.values(EMPLOYEE_ASIDES).flat(),
      ...CUSTOMER_BACKGROUND,
      ...EMPLOYEE_BACKGROUND,
      ...CUSTOMER_FOLLOW_UPS,
      ...EMPLOYEE_FOLLOW_UPS,
      ...SPOKEN_FOLLOW_UPS,
    ];
    for (const template of templates) {
      expect(fillSlots(template, rng, new Map())).not.toMatch(/[{}]/);
    }
  });

  it('keeps a slot consistent within a message and lets a numbered slot differ', () => {
    const rng = xoroshiro128plus(4);
    const values = new Map<string, string>();
    const first = fillSlots('{product}', rng, values);
    expect(fillSlots('still {product}', rng, values)).toBe(`still ${first}`);
    const amounts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const slots = new Map<string, string>();
      amounts.add(fillSlots('{amount} vs {amount2}', rng, slots));
    }
    expect([...amounts].some((pair) => new Set(pair.split(' vs ')).size === 2)).toBe(true);
    expect(() => fillSlots('{nonsense}', rng, new Map())).toThrow(RangeError);
  });
});
