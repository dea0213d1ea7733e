import { withDefaults } from '../builders/defaults.js';
import { MemoryKube } from '../kube/memory.js';
import type { InquiryPipeline } from '../resources.js';
import {
  buildDestinationRule,
  buildVirtualService,
  cookieRegex,
  IstioRouter,
  routesOf,
} from './istio.js';
import type { Routes, TrafficState } from './routes.js';
import { OWNER } from '../../../test/fixtures.js';

const owner = OWNER;
const spec = withDefaults({
  databaseSecretRef: { name: 'db' },
  mlflow: { trackingUri: 'http://mlflow:5000' },
});
const pipeline = { ...owner, spec } as InquiryPipeline;

/** Insiders by header (and a tenant), or anyone with the cookie canary=always. */
const ab = [
  {
    headers: [
      { name: 'x-canary', exact: 'insider' },
      { name: 'x-tenant', prefix: 'acme-' },
    ],
  },
  {
    headers: [{ name: 'x-beta', regex: '(?i)on|yes' }],
    cookie: { name: 'canary', value: 'always' },
  },
  { cookie: { name: 'canary', value: 'always' } },
];

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
      { stable: 'v1', traffic: { kind: 'canary', candidate: 'v2', weight: 0, match: ab } },
      { stable: 'v1', traffic: { kind: 'canary', candidate: 'v2', weight: 30, match: ab } },
      {
        stable: 'v1',
        traffic: {
          kind: 'canary',
          candidate: 'v2',
          weight: 0,
          match: [{ cookie: { name: 'release', value: 'v1.2+beta/x=1' } }],
        },
      },
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

  it('puts an A/B match before the weighted route, sending matched requests to the candidate', () => {
    const vs = buildVirtualService(owner, spec, {
      kind: 'canary',
      candidate: 'v2',
      weight: 0,
      match: ab,
    });
    const [matched, weighted, ...more] = vs.spec.http!;
    expect(more).toEqual([]);
    expect(matched).toMatchObject({
      name: 'inference-canary-match',
      match: [
        { headers: { 'x-canary': { exact: 'insider' }, 'x-tenant': { prefix: 'acme-' } } },
        {
          headers: {
            'x-beta': { regex: '(?i)on|yes' },
            cookie: { regex: cookieRegex(ab[2]!.cookie!) },
          },
        },
        { headers: { cookie: { regex: '^(.*?;\\s*)?(canary=always)(;.*)?$' } } },
      ],
      route: [{ destination: { subset: 'canary' }, weight: 100 }],
      timeout: '10s',
    });
    // Weight 0: the requests no match takes all go to stable.
    expect(weighted!.route).toEqual([
      { destination: expect.objectContaining({ subset: 'stable' }) as unknown, weight: 100 },
    ]);
    const beside = buildVirtualService(owner, spec, {
      kind: 'canary',
      candidate: 'v2',
      weight: 30,
      match: ab,
    }).spec.http!;
    expect(beside.map((r) => r.name)).toEqual(['inference-canary-match', 'inference']);
    expect(beside[1]!.route!.map((r) => r.weight)).toEqual([70, 30]);
    // Without a match, and for a shadow, there is no match route; nor for a match with no
    // condition (it would catch every request), which planRollout refuses before.
    for (const empty of [[], [{}], [{ headers: [] }]])
      expect(
        buildVirtualService(owner, spec, {
          kind: 'canary',
          candidate: 'v2',
          weight: 5,
          match: empty,
        }).spec.http!.map((r) => r.name),
      ).toEqual(['inference']);
    for (const traffic of [
      { kind: 'canary', candidate: 'v2', weight: 30 },
      { kind: 'shadow', candidate: 'v2' },
      { kind: 'stable' },
    ] as TrafficState[])
      expect(buildVirtualService(owner, spec, traffic).spec.http!.map((r) => r.name)).toEqual([
        'inference',
      ]);
  });

  it('matches a cookie among the pairs of the Cookie header, its value exactly', () => {
    const regex = new RegExp(cookieRegex({ name: 'canary', value: 'always' }));
    for (const header of ['canary=always', 'a=1; canary=always', 'a=1;canary=always; b=2'])
      expect(regex.test(header)).toBe(true);
    for (const header of ['canary=alwaysnot', 'xcanary=always', 'a=canary=always', 'canary=never'])
      expect(regex.test(header)).toBe(false);
    const escaped = new RegExp(cookieRegex({ name: 'release', value: 'v1.2+beta' }));
    expect(escaped.test('release=v1.2+beta')).toBe(true);
    expect(escaped.test('release=v1x22beta')).toBe(false);
  });

  it('reads a hand-written cookie regex back as a cookie header, not as the cookie it resembles', () => {
    const vs = buildVirtualService(owner, spec, {
      kind: 'canary',
      candidate: 'v2',
      weight: 10,
      match: [{ cookie: { name: 'canary', value: 'always' } }],
    });
    vs.spec.http![0]!.match![0]!.headers!.cookie = { regex: '.*canary=.*' };
    const routes = routesOf(
      vs,
      buildDestinationRule(owner, { stable: 'v1', traffic: { kind: 'stable' } }),
    );
    expect(routes?.traffic).toEqual({ kind: 'stable' });
    const withCandidate = routesOf(
      vs,
      buildDestinationRule(owner, {
        stable: 'v1',
        traffic: { kind: 'canary', candidate: 'v2', weight: 10 },
      }),
    );
    expect(withCandidate?.traffic).toEqual({
      kind: 'canary',
      candidate: 'v2',
      weight: 10,
      match: [{ headers: [{ name: 'cookie', regex: '.*canary=.*' }] }],
    });
  });
});
