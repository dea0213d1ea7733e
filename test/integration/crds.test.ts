/**
 * The platform's CRDs on the test bed's real API server: they install, the examples are
 * accepted with the schema's defaults applied, and invalid objects are refused by the API server
 * itself with the CEL rule's message.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { policySpecOf, resolvePolicy } from '../../lib/routing/policy.js';
import { POLICY_LIMITS } from '../../lib/routing/policy-limits.js';
import { modelVersionObject, pipelineObject } from '../fixtures.js';
import { installPlatformCrds, testbed } from './testbed.js';

const GROUP = 'inquiries.mlops.io';
const VERSION = 'v1alpha1';
const NAMESPACE = 'crd-tests';

const examplesDir = new URL('../../crds/examples/', import.meta.url);

async function yamlFiles(dir: URL): Promise<string[]> {
  return (await readdir(dir)).filter((file) => file.endsWith('.yaml')).sort();
}

describe('platform CRDs on the API server', () => {
  const kc = testbed.kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);

  const create = (plural: string, body: object): Promise<unknown> =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural,
      body,
    });

  /** The API server's refusal message, or fails when the object was accepted. */
  async function refusal(plural: string, body: object): Promise<string> {
    try {
      await create(plural, body);
    } catch (error) {
      expect(error).toBeInstanceOf(k8s.ApiException);
      expect((error as k8s.ApiException<string>).code).toBe(422);
      return String((error as k8s.ApiException<string>).body);
    }
    throw new Error(`the API server accepted an invalid ${plural}`);
  }

  /** Creates under strict field validation (kubectl's default): the refusal, or 'accepted'. */
  const createStrictly = (plural: string, body: object): Promise<string> =>
    custom
      .createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NAMESPACE,
        plural,
        body,
        fieldValidation: 'Strict',
      })
      .then(
        () => 'accepted',
        (error: unknown) => String((error as k8s.ApiException<string>).body),
      );

  beforeAll(async () => {
    await installPlatformCrds();
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });

  it('uses names and short names that no other resource of the API server uses', async () => {
    const ours = new Set<string>();
    const others = new Map<string, string>();
    const record = (groupVersion: string, resources: k8s.V1APIResource[]) => {
      for (const resource of resources) {
        if (resource.name.includes('/')) continue;
        const names = [resource.name, resource.singularName, ...(resource.shortNames ?? [])];
        for (const name of names.filter(Boolean)) {
          if (groupVersion.startsWith(`${GROUP}/`)) ours.add(name);
          else others.set(name, `${resource.kind} (${groupVersion})`);
        }
      }
    };
    record('v1', (await core.getAPIResources()).resources);
    for (const group of (await kc.makeApiClient(k8s.ApisApi).getAPIVersions()).groups) {
      for (const { version } of group.versions) {
        const list = await custom.getAPIResources({ group: group.name, version });
        record(`${group.name}/${version}`, list.resources);
      }
    }
    // `kubectl get ip` is the core IPAddress (networking.k8s.io), not an InquiryPipeline.
    expect(others.get('ip')).toMatch(/^IPAddress/);
    expect([...ours].sort()).toEqual(
      ['inqp', 'inquirypipeline', 'inquirypipelines', 'modelversion', 'modelversions', 'mv']
        .concat(['routing', 'routingpolicies', 'routingpolicy', 'rp'])
        .sort(),
    );
    expect(
      [...ours].filter((name) => others.has(name)).map((n) => `${n}: ${others.get(n)}`),
    ).toEqual([]);
  });

  it('accepts the examples and applies the schema defaults', async () => {
    for (const file of await yamlFiles(examplesDir)) {
      const object = parse(await readFile(new URL(file, examplesDir), 'utf8')) as {
        kind: string;
        metadata: { namespace?: string };
      };
      object.metadata.namespace = NAMESPACE;
      await create(`${object.kind.toLowerCase()}s`.replace('policys', 'policies'), object);
    }
    const pipeline = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: 'inquirypipelines',
      name: 'support-emea',
    })) as {
      spec: {
        classification: { schedule: string; shards: number };
        retraining: { schedule: string; triggers: { minOnlineAccuracy: number } };
        serving: { replicas: number };
        databaseSecretRef: { key: string };
      };
    };
    expect(pipeline.spec.classification).toEqual({ schedule: '0 * * * *', shards: 4 });
    expect(pipeline.spec.retraining.schedule).toBe('0 3 * * 0');
    expect(pipeline.spec.retraining.triggers.minOnlineAccuracy).toBe(0.8);
    expect(pipeline.spec.serving.replicas).toBe(2);
    expect(pipeline.spec.databaseSecretRef.key).toBe('url');
  });

  const modelVersion = (rollout: object, name = `mv-${Math.round(Math.random() * 1e9)}`): object =>
    modelVersionObject(name, {
      pipeline: 'support-emea',
      model: { name: 'm', version: '1' },
      rollout,
    });
  const metric = { name: 'acc', provider: 'mlflow', metric: 'online.accuracy', min: 0.8 };

  it('refuses invalid ModelVersions with the CEL rule messages', async () => {
    expect(
      await refusal('modelversions', modelVersion({ strategy: 'Canary', steps: [] })),
    ).toContain('a Canary rollout needs at least one step and one analysis metric');
    expect(
      await refusal(
        'modelversions',
        modelVersion({ steps: [{ weight: 50 }, { weight: 20 }], analysis: { metrics: [metric] } }),
      ),
    ).toContain('canary step weights must be strictly increasing');
    expect(
      await refusal(
        'modelversions',
        modelVersion({
          steps: [{ weight: 10 }],
          progressDeadline: '1m',
          analysis: { interval: '2m', metrics: [metric] },
        }),
      ),
    ).toContain('progressDeadline must be longer than analysis.interval');
    expect(
      await refusal(
        'modelversions',
        modelVersion({
          steps: [{ weight: 10 }],
          progressDeadline: 'an hour',
          analysis: { metrics: [metric] },
        }),
      ),
    ).toMatch(/progressDeadline/);
    expect(
      await refusal(
        'modelversions',
        modelVersion({ steps: [{ weight: 20 }, { weight: 20 }], analysis: { metrics: [metric] } }),
      ),
    ).toContain('canary step weights must be strictly increasing');
    expect(
      await refusal(
        'modelversions',
        modelVersion({ steps: [{ weight: 120 }], analysis: { metrics: [metric] } }),
      ),
    ).toMatch(/should be less than or equal to 100|must be less than or equal to 100/);
    expect(
      await refusal(
        'modelversions',
        modelVersion({
          steps: [{ weight: 10 }],
          analysis: { metrics: [{ name: 'x', provider: 'mlflow', metric: 'a' }] },
        }),
      ),
    ).toContain('an analysis metric needs a min, a max or a maxDegradation');
    expect(
      await refusal(
        'modelversions',
        modelVersion({
          steps: [{ weight: 10 }],
          analysis: { metrics: [{ name: 'x', provider: 'prometheus', max: 1 }] },
        }),
      ),
    ).toContain('a prometheus metric needs a query');
    expect(
      await refusal('modelversions', {
        ...modelVersion({ strategy: 'Immediate' }),
        spec: { pipeline: 'p', model: { name: 'm' } },
      }),
    ).toContain('spec.model needs a registry version or a run id');
  });

  it('refuses an A/B match that would catch every request, or that Istio would read otherwise', async () => {
    const header = { name: 'x-canary', exact: 'insider' };
    const ab = (match: object[], steps: object[] = [{ weight: 0 }, { weight: 20 }]) =>
      modelVersion({ steps, match, analysis: { metrics: [metric] } });
    const refused = (match: object[]) => refusal('modelversions', ab(match));
    await create(
      'modelversions',
      ab([{ headers: [header] }, { cookie: { name: 'canary', value: 'always' } }]),
    );
    expect(await refused([{}])).toContain(
      'a match entry needs at least one header or a cookie: an empty entry would match every request',
    );
    // A misspelt key is pruned without strict validation: the entry it leaves empty is refused.
    expect(await refused([{ header: header }])).toContain(
      'a match entry needs at least one header or a cookie',
    );
    expect(await refused([{ headers: [{ name: 'x-canary' }] }])).toContain(
      'a header match needs exactly one of exact, prefix or regex',
    );
    expect(await refused([{ headers: [{ ...header, regex: 'in.*' }] }])).toContain(
      'a header match needs exactly one of exact, prefix or regex',
    );
    expect(await refused([{ headers: [{ name: 'X-Canary', exact: 'insider' }] }])).toContain(
      'a header name is lowercase letters, digits and inner hyphens (e.g. x-canary)',
    );
    expect(
      await refused([{ headers: [{ name: 'cookie', regex: '.*canary=always.*' }] }]),
    ).toContain('match a cookie with match[].cookie (name and value), not a cookie header');
    expect(await refused([{ headers: [{ name: 'authority', exact: 'a' }] }])).toContain(
      'Istio ignores the header keys uri, scheme, method and authority',
    );
    expect(await refused([{ headers: [header, { ...header, exact: 'other' }] }])).toContain(
      'a match entry names a header twice',
    );
    expect(await refused([{ cookie: { name: 'canary', value: 'a b;c' } }])).toContain(
      'a cookie value is letters, digits and _ . ~ + / = : @ -',
    );
    // Weight 0 without a match; a match on a Shadow.
    expect(
      await refusal(
        'modelversions',
        modelVersion({ steps: [{ weight: 0 }, { weight: 20 }], analysis: { metrics: [metric] } }),
      ),
    ).toContain('a step of weight 0 sends the candidate nothing without rollout.match');
    expect(
      await refusal(
        'modelversions',
        modelVersion({ strategy: 'Shadow', match: [{ headers: [header] }] }),
      ),
    ).toContain("rollout.match routes requests to a Canary's candidate");
    // Any other unknown key: refused under strict field validation (kubectl's default), named.
    const strict = await createStrictly(
      'modelversions',
      ab([{ headers: [{ ...header, ignoreCase: true }] }]),
    );
    expect(strict).toMatch(
      /unknown field \\"spec\.rollout\.match\[0\]\.headers\[0\]\.ignoreCase\\"/,
    );
  });

  it('keeps a ModelVersion’s model immutable', async () => {
    await create('modelversions', modelVersion({ strategy: 'Immediate' }, 'immutable'));
    const refused = await custom
      .patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: NAMESPACE,
          plural: 'modelversions',
          name: 'immutable',
          body: { spec: { model: { name: 'm', version: '2' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )
      .then(
        () => 'accepted',
        (error: unknown) => String((error as k8s.ApiException<string>).body),
      );
    expect(refused).toContain('spec.model is immutable');
  });

  it('refuses invalid InquiryPipelines and RoutingPolicies', async () => {
    const pipeline = (spec: object): object =>
      pipelineObject(`p-${Math.round(Math.random() * 1e9)}`, spec);
    expect(
      await refusal('inquirypipelines', pipeline({ classification: { schedule: 'every hour' } })),
    ).toContain('schedule must be a cron expression of five fields');
    expect(
      await refusal(
        'inquirypipelines',
        pipeline({ serving: { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } } }),
      ),
    ).toContain('autoscaling.minReplicas must not exceed maxReplicas');
    expect(
      await refusal('inquirypipelines', pipeline({ mlflow: { trackingUri: 'mlflow:5000' } })),
    ).toContain('spec.mlflow.trackingUri');
    expect(
      await refusal(
        'inquirypipelines',
        pipeline({ ingestion: { source: { type: 's3', location: 'inquiries/incoming' } } }),
      ),
    ).toContain("an s3 source's location is s3://bucket or s3://bucket/prefix");
    expect(
      await refusal(
        'inquirypipelines',
        pipeline({
          ingestion: {
            source: {
              type: 'file',
              location: 'x.csv',
              volume: { configMap: { name: 'a' }, persistentVolumeClaim: { claimName: 'b' } },
            },
          },
        }),
      ),
    ).toContain('a source volume is exactly one of persistentVolumeClaim and configMap');
    expect(
      await refusal('routingpolicies', {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'RoutingPolicy',
        metadata: { name: 'bad' },
        spec: {
          defaultDepartment: 'desk',
          escalationRules: [{ name: 'r', when: {}, then: { escalate: true } }],
        },
      }),
    ).toContain('an escalation rule needs at least one condition');
  });

  it('refuses RoutingPolicies over the bounds the loader also enforces', async () => {
    const policy = (spec: object): object => ({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'RoutingPolicy',
      metadata: { name: `big-${Math.round(Math.random() * 1e9)}` },
      spec: { defaultDepartment: 'desk', ...spec },
    });
    const rules = (count: number, keywords: number): object[] =>
      Array.from({ length: count }, (_, i) => ({
        name: `r${i}`,
        when: { keywords: Array.from({ length: keywords }, (_, k) => `w${i}x${k}`) },
        then: { escalate: true },
      }));
    expect(await refusal('routingpolicies', policy({ escalationRules: rules(501, 1) }))).toContain(
      `spec.escalationRules: Too many: 501: must have at most ${POLICY_LIMITS.escalationRules} items`,
    );
    expect(await refusal('routingpolicies', policy({ escalationRules: rules(20, 101) }))).toContain(
      'policy has more than 2000 keywords in its escalation rules; at most 2000 are allowed',
    );
    const pools = Array.from({ length: 6 }, (_, p) => ({
      name: `p${p}`,
      consultants: Array.from({ length: 1000 }, (_, c) => `c${c}`),
    }));
    expect(await refusal('routingpolicies', policy({ consultantPools: pools }))).toContain(
      'policy has more than 5000 consultants in its pools; at most 5000 are allowed',
    );
    expect(
      await refusal(
        'routingpolicies',
        policy({ escalationRules: rules(1, 1).map((r) => ({ ...r, name: 'n'.repeat(129) })) }),
      ),
    ).toContain('spec.escalationRules[0].name: Too long: may not be more than 128 bytes');
    // At the bounds the API server and the loader both accept it.
    const atBounds = policy({ escalationRules: rules(500, 4), consultantPools: pools.slice(0, 5) });
    expect(() => resolvePolicy((atBounds as { spec: object }).spec)).not.toThrow();
    await create('routingpolicies', atBounds);
  });

  it('refuses unknown RoutingPolicy keys, and accepts the original rules once converted', async () => {
    const original = parse(
      await readFile(new URL('../fixtures/original/routing_rules.yaml', import.meta.url), 'utf8'),
    ) as object;
    const policy = (name: string, spec: object): object => ({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'RoutingPolicy',
      metadata: { name },
      spec,
    });
    // The original file pasted as a spec: refused by name, with this shape's key and the way out.
    const pasted = await refusal(
      'routingpolicies',
      policy('pasted', { defaultDepartment: 'desk', ...original }),
    );
    expect(pasted).toContain(
      'unknown key \\"category_to_department\\" (did you mean \\"departments\\"?)',
    );
    expect(pasted).toContain(
      'unknown key \\"escalation_rules\\" (did you mean \\"escalationRules\\"?)',
    );
    expect(pasted).toContain('inquiry-pipeline convert-policy');
    // Any other unknown key: refused under strict field validation (kubectl's default), named.
    const misspelt = policy('misspelt', { defaultDepartment: 'desk', departmnets: [] });
    const strict = await createStrictly('routingpolicies', misspelt);
    expect(strict).toContain('unknown field \\"spec.departmnets\\"');
    // The converted form is what the API server stores, field for field.
    const converted = policySpecOf(original) as object;
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: 'routingpolicies',
      body: policy('converted', converted),
      fieldValidation: 'Strict',
    });
    const stored = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: 'routingpolicies',
      name: 'converted',
    })) as { spec: object };
    expect(stored.spec).toEqual(converted);
  });
});
