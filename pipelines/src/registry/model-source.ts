/**
 * Finding and fetching a registered model's bundle: the version an alias (champion,
 * challenger) points at, downloaded from the tracking server's artifact store.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MlflowClient, ModelVersion } from '../../../lib/mlflow/client.js';

export const CHAMPION = 'champion';
export const CHALLENGER = 'challenger';

/** `mlflow-artifacts:/<exp>/<run>/artifacts` and `bundle` from a version's source. */
export function splitSource(source: string): { artifactUri: string; relative: string } {
  const match = /^(mlflow-artifacts:\/.+?\/artifacts)(?:\/(.*))?$/.exec(source);
  if (!match) {
    throw new Error(
      `model version source ${source} is not an artifact served by the tracking server (mlflow-artifacts:/…/artifacts/…)`,
    );
  }
  return { artifactUri: match[1]!, relative: match[2] ?? '' };
}

/** Downloads a model version's bundle into a new temporary directory. */
export async function downloadBundle(client: MlflowClient, version: ModelVersion): Promise<string> {
  if (!version.source)
    throw new Error(`model ${version.name} version ${version.version} has no source`);
  const { artifactUri, relative } = splitSource(version.source);
  const dir = await mkdtemp(path.join(tmpdir(), `bundle-${version.name}-v${version.version}-`));
  await client.downloadDirectory(artifactUri, relative, dir);
  return dir;
}

/** The bundle an alias points at, downloaded; undefined when the alias is not set. */
export async function downloadAliased(
  client: MlflowClient,
  modelName: string,
  alias: string,
): Promise<{ version: ModelVersion; dir: string } | undefined> {
  const version = await client.versionByAlias(modelName, alias);
  if (!version) return undefined;
  return { version, dir: await downloadBundle(client, version) };
}
