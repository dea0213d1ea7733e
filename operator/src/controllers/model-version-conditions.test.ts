import { modelVersionConditions, type ConditionContext } from './model-version-conditions.js';

const t0 = new Date('2026-11-30T10:00:00Z');
const t1 = new Date('2026-11-30T10:05:00Z');
const canary: ConditionContext = { generation: 3, steps: 3, shadow: false };

const byType = (conditions: { type: string }[]) =>
  Object.fromEntries(conditions.map((c) => [c.type, c]));

describe('modelVersionConditions', () => {
  it('says where a canary is while it walks its steps', () => {
    const conditions = byType(
      modelVersionConditions(
        { phase: 'Progressing', currentStep: 1, canaryWeight: 40 },
        canary,
        t0,
      ),
    );
    expect(conditions.Ready).toMatchObject({ status: 'False', reason: 'Progressing' });
    expect(conditions.Progressing).toMatchObject({
      status: 'True',
      reason: 'CanaryStep',
      message: 'Rolling out: step 2 of 3, 40 % of traffic.',
      observedGeneration: 3,
      lastTransitionTime: t0.toISOString(),
    });
    expect(conditions.Degraded).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it("names an A/B canary's match beside its weight", () => {
    const conditions = byType(
      modelVersionConditions(
        { phase: 'Progressing', currentStep: 0, canaryWeight: 0 },
        { ...canary, match: 'cookie canary=always' },
        t0,
      ),
    );
    expect(conditions.Progressing).toMatchObject({
      message: 'Rolling out: step 1 of 3, 0 % of traffic and requests with cookie canary=always.',
    });
  });

  it('keeps lastTransitionTime while a status holds, and moves it when it changes', () => {
    const first = modelVersionConditions({ phase: 'Progressing', canaryWeight: 10 }, canary, t0);
    const later = byType(
      modelVersionConditions(
        { phase: 'Promoted', canaryWeight: 100, conditions: first },
        { ...canary, outcome: { reason: 'Promoted', message: 'All 3 steps passed.' } },
        t1,
      ),
    );
    expect(later.Ready).toMatchObject({ status: 'True', lastTransitionTime: t1.toISOString() });
    expect(later.Progressing).toMatchObject({ status: 'False', reason: 'Promoted' });
    expect(later.Degraded).toMatchObject({
      status: 'False',
      lastTransitionTime: t0.toISOString(),
    });
  });

  it('explains a rollback with its announcement', () => {
    const outcome = { reason: 'RolledBack', message: 'online-accuracy 0.5 is below 0.8.' };
    const rolledBack = modelVersionConditions({ phase: 'RolledBack' }, { ...canary, outcome }, t0);
    expect(byType(rolledBack).Degraded).toMatchObject({ status: 'True', ...outcome });
    expect(byType(rolledBack).Ready).toMatchObject({ status: 'False', message: outcome.message });
    expect(byType(rolledBack).Progressing).toMatchObject({ status: 'False', reason: 'RolledBack' });
  });

  it('reports a failing dependency as Degraded until a reconcile succeeds', () => {
    const problem = { reason: 'ReconcileFailed', message: 'MLflow answered 503.' };
    const failing = modelVersionConditions(
      { phase: 'Progressing', canaryWeight: 10 },
      { ...canary, problem },
      t0,
    );
    expect(byType(failing).Degraded).toMatchObject({ status: 'True', ...problem });
    expect(byType(failing).Progressing).toMatchObject({ status: 'True' });
    const recovered = modelVersionConditions(
      { phase: 'Progressing', canaryWeight: 10, conditions: failing },
      canary,
      t1,
    );
    expect(byType(recovered).Degraded).toMatchObject({
      status: 'False',
      lastTransitionTime: t1.toISOString(),
    });
  });

  it('holds Progressing at Unknown while paused, and describes a shadow', () => {
    expect(
      byType(
        modelVersionConditions({ phase: 'Paused', currentStep: 0, canaryWeight: 10 }, canary, t0),
      ).Progressing,
    ).toMatchObject({
      status: 'Unknown',
      reason: 'Paused',
      message: 'Held by spec.paused: step 1 of 3, 10 % of traffic.',
    });
    expect(
      byType(
        modelVersionConditions(
          { phase: 'Progressing' },
          { generation: 1, steps: 1, shadow: true },
          t0,
        ),
      ).Progressing,
    ).toMatchObject({
      reason: 'Shadowing',
      message: 'Rolling out: receives a mirror of live traffic and answers none.',
    });
  });

  it('is the same for the same input, so an unchanged rollout writes nothing new', () => {
    const once = modelVersionConditions({ phase: 'Progressing', canaryWeight: 40 }, canary, t0);
    expect(
      modelVersionConditions(
        { phase: 'Progressing', canaryWeight: 40, conditions: once },
        canary,
        t1,
      ),
    ).toEqual(once);
  });
});
