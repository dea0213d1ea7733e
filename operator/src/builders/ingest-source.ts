/**
 * What the ingest step needs from the pipeline's ingestion source: the CLI arguments, the
 * environment (S3 credentials from their Secret) and the volume a file source reads from.
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { InquiryPipelineSpec } from '../../../crds/generated/inquirypipelines.js';

type IngestionSource = NonNullable<NonNullable<InquiryPipelineSpec['ingestion']>['source']>;

export const SOURCE_MOUNT_PATH = '/ingest/source';

export interface IngestStepParts {
  args: string[];
  env: V1EnvVar[];
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

/** Pure: the ingest step's parts for a source (none: an empty run on a missing file). */
export function ingestStepParts(source: IngestionSource | undefined): IngestStepParts {
  const parts: IngestStepParts = { args: [], env: [], volumes: [], mounts: [] };
  if (!source) return { ...parts, args: ['--file', '/work/none'] };
  const labels = source.labels?.length ? ['--labels', source.labels.join(',')] : [];
  switch (source.type) {
    case 'file': {
      const volume = source.volume;
      if (!volume) return { ...parts, args: ['--file', source.location, ...labels] };
      return {
        ...parts,
        args: ['--file', `${SOURCE_MOUNT_PATH}/${source.location.replace(/^\/+/, '')}`, ...labels],
        volumes: [
          volume.persistentVolumeClaim
            ? {
                name: 'source',
                persistentVolumeClaim: {
                  claimName: volume.persistentVolumeClaim.claimName,
                  readOnly: true,
                },
              }
            : { name: 'source', configMap: { name: volume.configMap!.name } },
        ],
        mounts: [{ name: 'source', mountPath: SOURCE_MOUNT_PATH, readOnly: true }],
      };
    }
    case 'http':
      return { ...parts, args: ['--http', source.location, ...labels] };
    case 'stagingTable':
      return { ...parts, args: ['--staging-table', source.location, ...labels] };
    case 's3': {
      const secret = source.s3?.credentialsSecretRef?.name;
      return {
        ...parts,
        args: [
          '--s3',
          source.location,
          ...(source.s3?.endpoint ? ['--s3-endpoint', source.s3.endpoint] : []),
          ...(source.s3?.region ? ['--s3-region', source.s3.region] : []),
          ...labels,
        ],
        env: secret
          ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((key) => ({
              name: key,
              valueFrom: { secretKeyRef: { name: secret, key } },
            }))
          : [],
      };
    }
  }
}
