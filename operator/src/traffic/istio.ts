/**
 * Traffic through Istio: a DestinationRule with a subset per served ModelVersion (pods carry
 * their version as a label) and a VirtualService that weighs or mirrors between the subsets.
 * This file is the only code that builds or writes either object.
 */
import { childMetadata, type Owner } from '../builders/common.js';
import type { HeaderMatch, RequestMatch } from '../canary/rollout.js';
import { withDefaults, type ResolvedPipelineSpec } from '../builders/defaults.js';
import { ownerOf } from '../builders/common.js';
import type { Kube } from '../kube/kube.js';
import { LABELS, names } from '../names.js';
import type { InquiryPipeline } from '../resources.js';
import type { DestinationRule, VirtualService } from '../types/children.js';
import type { TrafficRouter } from './router.js';
import { STABLE_ONLY, type Routes, type TrafficState } from './routes.js';

const ISTIO_API_VERSION = 'networking.istio.io/v1';

type HttpRoute = NonNullable<VirtualService['spec']['http']>[number];
type IstioMatch = NonNullable<HttpRoute['match']>[number];
type IstioStringMatch = NonNullable<IstioMatch['headers']>[string];

/** The weighted (or mirrored) route every request reaches that no match route took. */
const WEIGHTED_ROUTE = 'inference';
/** The A/B route before it: requests matching a rollout's match go to the candidate. */
const MATCH_ROUTE = 'inference-canary-match';

const ROUTE_POLICY = {
  retries: {
    attempts: 2,
    perTryTimeout: '2s',
    retryOn: 'connect-failure,refused-stream,unavailable,503',
  },
  timeout: '10s',
} satisfies Partial<HttpRoute>;

const serviceHost = (owner: Owner): string =>
  `${names.inference(owner.metadata.name)}.${owner.metadata.namespace}.svc.cluster.local`;

/** Subsets by model version: the stable one, and the candidate while it gets traffic. */
export function buildDestinationRule(owner: Owner, routes: Routes): DestinationRule {
  const { traffic } = routes;
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'DestinationRule',
    metadata: childMetadata(owner, names.inference(owner.metadata.name), 'inference'),
    spec: {
      host: serviceHost(owner),
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
      subsets: [
        { name: 'stable', labels: { [LABELS.modelVersion]: routes.stable } },
        ...(traffic.kind === 'stable'
          ? []
          : [{ name: 'canary', labels: { [LABELS.modelVersion]: traffic.candidate } }]),
      ],
    },
  };
}

/**
 * Routes: all to stable, or a canary's weight to the candidate; a shadow gets a mirror instead.
 * A canary's match comes first as its own route (Istio takes the first route that matches), so
 * matched requests reach the candidate whatever the weight.
 */
export function buildVirtualService(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  traffic: TrafficState,
): VirtualService {
  const host = serviceHost(owner);
  const subset = (name: 'stable' | 'canary') => ({ host, subset: name, port: { number: 80 } });
  const route =
    traffic.kind === 'canary' && traffic.weight > 0
      ? [
          { destination: subset('stable'), weight: 100 - traffic.weight },
          { destination: subset('canary'), weight: traffic.weight },
        ]
      : [{ destination: subset('stable'), weight: 100 }];
  // An entry without a condition, or a route with an empty match list, matches every request.
  const match = traffic.kind === 'canary' ? (traffic.match ?? []).filter(hasCondition) : [];
  const matchRoutes: HttpRoute[] =
    match.length > 0
      ? [
          {
            name: MATCH_ROUTE,
            match: match.map(istioMatch),
            route: [{ destination: subset('canary'), weight: 100 }],
            ...ROUTE_POLICY,
          },
        ]
      : [];
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: childMetadata(owner, names.inference(owner.metadata.name), 'inference'),
    spec: {
      hosts: [host, ...(spec.serving.host ? [spec.serving.host] : [])],
      ...(spec.serving.host ? { gateways: ['mesh', 'istio-system/inquiry-gateway'] } : {}),
      http: [
        ...matchRoutes,
        {
          name: WEIGHTED_ROUTE,
          route,
          ...ROUTE_POLICY,
          ...(traffic.kind === 'shadow'
            ? { mirror: subset('canary'), mirrorPercentage: { value: 100 } }
            : {}),
        },
      ],
    },
  };
}

const hasCondition = (entry: RequestMatch) =>
  (entry.headers ?? []).length > 0 || entry.cookie !== undefined;

/** One match entry as an Istio HTTPMatchRequest: its headers, its cookie on the Cookie header. */
function istioMatch(entry: RequestMatch): IstioMatch {
  const headers: Record<string, IstioStringMatch> = {};
  for (const { name, ...comparison } of entry.headers ?? []) headers[name] = comparison;
  if (entry.cookie) headers.cookie = { regex: cookieRegex(entry.cookie) };
  return { headers };
}

const COOKIE_BEFORE = String.raw`^(.*?;\s*)?(`;
const COOKIE_AFTER = ')(;.*)?$';

/**
 * The Cookie header holds `name=value` as one of its `;`-separated pairs: Istio's own example,
 * with the space browsers put after each `;` allowed.
 */
export function cookieRegex({ name, value }: { name: string; value: string }): string {
  const literal = `${name}=${value}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `${COOKIE_BEFORE}${literal}${COOKIE_AFTER}`;
}

/** The cookie a regex of `cookieRegex` matches, or undefined for any other regex. */
function cookieOf(regex: string | undefined): { name: string; value: string } | undefined {
  if (!regex?.startsWith(COOKIE_BEFORE) || !regex.endsWith(COOKIE_AFTER)) return undefined;
  const literal = regex.slice(COOKIE_BEFORE.length, -COOKIE_AFTER.length);
  if (/(^|[^\\])[.*+?^${}()|[\]]/.test(literal)) return undefined;
  const pair = literal.replace(/\\(.)/g, '$1');
  const equals = pair.indexOf('=');
  return equals > 0 ? { name: pair.slice(0, equals), value: pair.slice(equals + 1) } : undefined;
}

/** The match an Istio HTTPMatchRequest holds, normalized as `RequestMatch` is. */
function requestMatchOf(match: IstioMatch): RequestMatch {
  const headers: HeaderMatch[] = [];
  let cookie: RequestMatch['cookie'];
  for (const [name, comparison] of Object.entries(match.headers ?? {})) {
    const asCookie = name === 'cookie' ? cookieOf(comparison?.regex) : undefined;
    if (asCookie) cookie = asCookie;
    else {
      const kind = (['exact', 'prefix', 'regex'] as const).find((k) => comparison?.[k]);
      headers.push({ name, ...(kind ? { [kind]: comparison![kind] } : {}) });
    }
  }
  return {
    ...(headers.length > 0 && { headers: headers.sort((a, b) => a.name.localeCompare(b.name)) }),
    ...(cookie && { cookie }),
  };
}

/** The routes a VirtualService and its DestinationRule describe (undefined: not ours to read). */
export function routesOf(
  virtualService: Pick<VirtualService, 'spec'> | undefined,
  destinationRule: Pick<DestinationRule, 'spec'> | undefined,
): Routes | undefined {
  const subsets = new Map(
    (destinationRule?.spec.subsets ?? []).map((s) => [s.name, s.labels?.[LABELS.modelVersion]]),
  );
  const stable = subsets.get('stable');
  const routes = virtualService?.spec.http ?? [];
  const http = routes.find((r) => r.name === WEIGHTED_ROUTE) ?? routes[0];
  if (!stable || !http) return undefined;
  const candidate = subsets.get('canary');
  const weight = http.route?.find((r) => r.destination?.subset === 'canary')?.weight ?? 0;
  const matchRoute = routes.find(
    (r) => r.name === MATCH_ROUTE && r.route?.some((d) => d.destination?.subset === 'canary'),
  );
  const match = (matchRoute?.match ?? []).map(requestMatchOf);
  const traffic: TrafficState =
    candidate === undefined
      ? STABLE_ONLY
      : http.mirror?.subset === 'canary'
        ? { kind: 'shadow', candidate }
        : match.length > 0
          ? { kind: 'canary', candidate, weight, match }
          : weight > 0
            ? { kind: 'canary', candidate, weight }
            : STABLE_ONLY;
  return { stable, traffic };
}

export class IstioRouter implements TrafficRouter {
  constructor(private readonly kube: Kube) {}

  /**
   * A new subset exists before a route names it, and a route leaves a subset before it goes:
   * the DestinationRule first when a candidate joins, the VirtualService first otherwise.
   */
  async setRoutes(pipeline: InquiryPipeline, routes: Routes): Promise<void> {
    const owner = ownerOf(pipeline);
    const destinationRule = buildDestinationRule(owner, routes);
    const virtualService = buildVirtualService(owner, withDefaults(pipeline.spec), routes.traffic);
    const inOrder =
      routes.traffic.kind === 'stable'
        ? [virtualService, destinationRule]
        : [destinationRule, virtualService];
    for (const object of inOrder) await this.kube.apply(object);
  }

  async getRoutes(pipeline: InquiryPipeline): Promise<Routes | undefined> {
    const { namespace } = pipeline.metadata as { namespace: string };
    const name = names.inference(pipeline.metadata.name!);
    const [virtualService, destinationRule] = await Promise.all([
      this.kube.read<VirtualService>(ISTIO_API_VERSION, 'VirtualService', namespace, name),
      this.kube.read<DestinationRule>(ISTIO_API_VERSION, 'DestinationRule', namespace, name),
    ]);
    return routesOf(virtualService, destinationRule);
  }
}
