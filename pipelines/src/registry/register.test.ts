import { parseRollout, resourceName } from './register.js';

describe('register', () => {
  it('takes a rollout as JSON or YAML, nothing for empty text', () => {
    const rollout = { strategy: 'Canary', steps: [{ weight: 50, pause: '30s' }] };
    expect(parseRollout(JSON.stringify(rollout))).toEqual(rollout);
    expect(parseRollout('strategy: Canary\nsteps:\n  - { weight: 50, pause: 30s }\n')).toEqual(
      rollout,
    );
    expect(parseRollout('')).toBeUndefined();
    expect(parseRollout('  \n')).toBeUndefined();
  });

  it('refuses a rollout that is not an object, saying what it needs', () => {
    expect(() => parseRollout('[1, 2]')).toThrow(/must be an object/);
    expect(() => parseRollout('Canary')).toThrow(/must be an object/);
    expect(() => parseRollout('{"strategy": ')).toThrow(/neither JSON nor YAML/);
  });

  it('names the ModelVersion after the pipeline and the registry version, DNS-1123', () => {
    expect(resourceName('Support_Desk', '12')).toBe('support-desk-v12');
    expect(resourceName('x'.repeat(80), '3')).toHaveLength(63);
  });
});
