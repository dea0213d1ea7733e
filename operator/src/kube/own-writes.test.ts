import { OwnWrites } from './own-writes.js';

const mv = (status: object) => ({ metadata: { namespace: 'ns', name: 'v4' }, status });

describe('OwnWrites', () => {
  it('lays a status write over the stale cached object until the informer shows it', () => {
    const writes = new OwnWrites();
    const stale = mv({ phase: 'Pending' });
    writes.record('modelversions', 'ns', 'v4', { phase: 'Progressing', canaryWeight: 20 });

    expect(writes.overlay('modelversions', stale).status).toEqual({
      phase: 'Progressing',
      canaryWeight: 20,
    });
    expect(stale.status).toEqual({ phase: 'Pending' });

    // An event from before the write changes nothing; the one showing it settles.
    writes.observe('modelversions', mv({ phase: 'Pending', artifactUri: 's3://b' }));
    expect(writes.size).toBe(1);
    writes.observe('modelversions', mv({ phase: 'Progressing', canaryWeight: 20 }));
    expect(writes.size).toBe(0);
    const external = mv({ phase: 'Paused' });
    expect(writes.overlay('modelversions', external)).toBe(external);
  });

  it('merges successive writes, and a null field means removed', () => {
    const writes = new OwnWrites();
    writes.record('modelversions', 'ns', 'v4', { phase: 'Promoted', canaryRetiresAt: 'later' });
    writes.record('modelversions', 'ns', 'v4', { canaryRetiresAt: null });
    expect(
      writes.overlay('modelversions', mv({ phase: 'Progressing', canaryRetiresAt: 'x' })).status,
    ).toEqual({ phase: 'Promoted' });
    // The intermediate state (retiresAt still set) does not settle; the final one does.
    writes.observe('modelversions', mv({ phase: 'Promoted', canaryRetiresAt: 'later' }));
    expect(writes.size).toBe(1);
    writes.observe('modelversions', mv({ phase: 'Promoted' }));
    expect(writes.size).toBe(0);
  });

  it('compares nested values without regard to key order', () => {
    const writes = new OwnWrites();
    writes.record('inquirypipelines', 'ns', 'v4', { lastRuns: { ingestion: { a: 1, b: 2 } } });
    writes.observe('inquirypipelines', mv({ lastRuns: { ingestion: { b: 2, a: 1 } } }));
    expect(writes.size).toBe(0);
  });

  it('does not keep a write the cache already showed (the event beat the response)', () => {
    const writes = new OwnWrites(() => mv({ phase: 'Progressing' }));
    writes.record('modelversions', 'ns', 'v4', { phase: 'Progressing' });
    expect(writes.size).toBe(0);
  });

  it('forgets a deleted object, and keeps objects of other kinds and names apart', () => {
    const writes = new OwnWrites();
    writes.record('modelversions', 'ns', 'v4', { phase: 'Progressing' });
    const pipeline = { metadata: { namespace: 'ns', name: 'v4' }, status: {} };
    expect(writes.overlay('inquirypipelines', pipeline)).toBe(pipeline);
    const other = { metadata: { namespace: 'ns', name: 'v5' } };
    expect(writes.overlay('modelversions', other)).toBe(other);
    writes.observe('modelversions', mv({ phase: 'Pending' }), true);
    expect(writes.size).toBe(0);
  });
});
