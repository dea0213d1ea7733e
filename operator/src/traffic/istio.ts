/**
 * Traffic through Istio: a DestinationRule with a subset per served ModelVersion (pods carry
 * their version as a label) and a VirtualService that weighs or mirrors between the subsets.
 * This file is the only code that builds or writes either object.
 */
import { childMetadata, type Owner } from '../builders/common.js';
import { withDefaults, type ResolvedPipelineSpec } from '../builders/defaults.js';
import { ownerOf } from '../builders/common.js';
import type { Kube } from '../kube/kube.js';
import { LABELS, names } from '../names.js';
import type { InquiryPipeline } from '../resources.js';
import type { DestinationRule, VirtualService } from '../types/children.js';
import type { TrafficRouter } from './router.js';
import { STABLE_ONLY, type Routes, type TrafficState } from './routes.js';

const ISTIO_API_VERSION = 'networking.istio.io/v1';

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

/** Routes: all to stable, or a canary's weight to the candidate; a shadow gets a mirror instead. */
export function buildVirtualService(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  traffic: TrafficState,
): VirtualService {
  const host = serviceHost(owner);
  const subset = (name: 'stable' | 'canary') => ({ host, subset: name, port: { number: 80 } });
  const route =
    traffic.kind === 'canary'
      ? [
          { destination: subset('stable'), weight: 100 - traffic.weight },
          { destination: subset('canary'), weight: traffic.weight },
        ]
      : [{ destination: subset('stable'), weight: 100 }];
  return {
    apiVersion: ISTIO_API_VERSION,
    kind: 'VirtualService',
    metadata: childMetadata(owner, names.inference(owner.metadata.name), 'inference'),
    spec: {
      hosts: [host, ...(spec.serving.host ? [spec.serving.host] : [])],
      ...(spec.serving.host ? { gateways: ['mesh', 'istio-system/inquiry-gateway'] } : {}),
      http: [
        {
          name: 'inference',
          route,
          retries: {
            attempts: 2,
            perTryTimeout: '2s',
            retryOn: 'connect-failure,refused-stream,unavailable,503',
          },
          timeout: '10s',
          ...(traffic.kind === 'shadow'
            ? { mirror: subset('canary'), mirrorPercentage: { value: 100 } }
            : {}),
        },
      ],
    },
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
  const http = virtualService?.spec.http?.[0];
  if (!stable || !http) return undefined;
  const candidate = subsets.get('canary');
  const weight = http.route?.find((r) => r.destination?.subset === 'canary')?.weight ?? 0;
  const traffic: TrafficState =
    candidate === undefined
      ? STABLE_ONLY
      : http.mirror?.subset === 'canary'
        ? { kind: 'shadow', candidate }
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
