import { withDefaults } from '../builders/defaults.js';
import { MemoryKube } from '../kube/memory.js';
import type { InquiryPipeline } from '../resources.js';
import { buildDestinationRule, buildVirtualService, IstioRouter, routesOf } from './istio.js';
import type { Routes, TrafficState } from './routes.js';
import { OWNER } from '../../../test/fixtures.js';

const owner = OWNER;
const spec = withDefaults({
  databaseSecretRef: { name: 'db' },
  mlflow: { trackingUri: 'http://mlflow:5000' },
});
const pipeline = { ...owner, spec } as InquiryPipeline;

describe('Istio routes', () => {
  it('split traffic between stable and canary by weight, summing to 100', () => {
    for (const weight of [0, 10, 55, 100]) {
      const traffic: TrafficState =
        weight > 0 ? { kind: 'canary', candidate: 'v2', weight } : { kind: 'stable' };
      const vs = buildVirtualService(owner, spec, traffic);
      const route = vs.spec.http![0]!.route!;
      expect(route.reduce((sum, r) => sum + r.weight!, 0)).toBe(100);
      if (weight > 0)
        expect(route.find((r) => r.destination.subset === 'canary')!.weight).toBe(weight);
    }
    const shadow = buildVirtualService(owner, spec, { kind: 'shadow', candidate: 'v2' });
    expect(shadow.spec.http![0]).toMatchObject({
      mirror: { subset: 'canary' },
      mirrorPercentage: { value: 100 },
    });
    expect(
      buildDestinationRule(owner, {
        stable: 'v1',
        traffic: { kind: 'canary', candidate: 'v2', weight: 10 },
      }).spec.subsets!.map((s) => s.labels!['inquiries.mlops.io/model-version']),
    ).toEqual(['v1', 'v2']);
    expect(
      buildDestinationRule(owner, { stable: 'v1', traffic: { kind: 'stable' } }).spec.subsets,
    ).toHaveLength(1);
  });

  it('reads back the routes it builds, for every traffic state', () => {
    const states: Routes[] = [
      { stable: 'v1', traffic: { kind: 'stable' } },
      { stable: 'v1', traffic: { kind: 'canary', candidate: 'v2', weight: 40 } },
      { stable: 'v1', traffic: { kind: 'shadow', candidate: 'v2' } },
    ];
    for (const routes of states)
      expect(
        routesOf(
          buildVirtualService(owner, spec, routes.traffic),
          buildDestinationRule(owner, routes),
        ),
      ).toEqual(routes);
    expect(routesOf(undefined, undefined)).toBeUndefined();
  });

  it('sets and gets routes through the router, a new subset before the route that names it', async () => {
    const kube = new MemoryKube();
    const router = new IstioRouter(kube);
    expect(await router.getRoutes(pipeline)).toBeUndefined();
    const canary: Routes = {
      stable: 'v1',
      traffic: { kind: 'canary', candidate: 'v2', weight: 10 },
    };
    await router.setRoutes(pipeline, canary);
    expect(await router.getRoutes(pipeline)).toEqual(canary);
    expect(kube.writes.map((w) => `${w.verb} ${w.kind}`)).toEqual([
      'apply DestinationRule',
      'apply VirtualService',
    ]);
    kube.writes.length = 0;
    await router.setRoutes(pipeline, { stable: 'v2', traffic: { kind: 'stable' } });
    expect(kube.writes.map((w) => `${w.verb} ${w.kind}`)).toEqual([
      'apply VirtualService',
      'apply DestinationRule',
    ]);
    expect(await router.getRoutes(pipeline)).toEqual({
      stable: 'v2',
      traffic: { kind: 'stable' },
    });
  });
});
