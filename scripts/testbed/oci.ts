/**
 * OCI image archives without a registry or a container engine: each layer is a directory packed
 * by GNU tar (sorted, fixed mtime, numeric owners, so equal content gives an equal digest), and
 * the archive is an OCI image layout whose index names the image for `ctr images import`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Layer {
  /** `sha256:<hex>` of the uncompressed tar: both the blob digest and the diff id. */
  digest: string;
  size: number;
  /** The tar file in the layer cache. */
  file: string;
}

export interface ImageConfig {
  /** Full reference, e.g. `localhost/inquiry/pause:1`: the name containerd gives the image. */
  name: string;
  layers: Layer[];
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  /** `uid:gid`, as in a Dockerfile's USER. */
  user?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Packs `rootfs` into a layer tar under `cacheDir` (named by its digest). The tar is written by
 * GNU tar so hard links, device nodes, modes and owners come out as the filesystem has them.
 */
export async function packLayer(rootfs: string, cacheDir: string): Promise<Layer> {
  await mkdir(cacheDir, { recursive: true });
  const partial = path.join(cacheDir, `partial-${process.pid}-${path.basename(rootfs)}.tar`);
  try {
    await execFileAsync(
      'tar',
      [
        '--create',
        `--file=${partial}`,
        `--directory=${rootfs}`,
        '--sort=name',
        '--numeric-owner',
        '--mtime=@0',
        '--format=posix',
        '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
        '.',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (cause) {
    await rm(partial, { force: true });
    throw new Error(`packing ${rootfs} into an image layer failed`, { cause });
  }
  const hex = await sha256File(partial);
  const file = path.join(cacheDir, `${hex}.tar`);
  await rename(partial, file);
  return { digest: `sha256:${hex}`, size: (await stat(file)).size, file };
}

function descriptor(
  mediaType: string,
  data: Buffer,
): { mediaType: string; digest: string; size: number } {
  return {
    mediaType,
    digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
    size: data.length,
  };
}

/** The image's config and manifest blobs, and the manifest's digest (the image's identity). */
export function imageManifest(image: ImageConfig): {
  config: Buffer;
  manifest: Buffer;
  manifestDigest: string;
} {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: [DEFAULT_PATH, ...(image.env ?? [])],
        WorkingDir: image.workingDir ?? '/',
        ...(image.user ? { User: image.user } : {}),
        ...(image.entrypoint ? { Entrypoint: image.entrypoint } : {}),
        ...(image.cmd ? { Cmd: image.cmd } : {}),
      },
      rootfs: { type: 'layers', diff_ids: image.layers.map((layer) => layer.digest) },
      history: image.layers.map(() => ({ created_by: 'inquiry-platform test bed' })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: image.layers.map((layer) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: layer.digest,
        size: layer.size,
      })),
    }),
  );
  return {
    config,
    manifest,
    manifestDigest: descriptor('application/vnd.oci.image.manifest.v1+json', manifest).digest,
  };
}

/**
 * Writes `image` as an OCI image-layout tar at `out`, unless it is there already: the file name
 * carries the hash of its name and manifest digest, so an archive is written once per content.
 */
export async function writeImageArchive(image: ImageConfig, outDir: string): Promise<string> {
  return writeImagesArchive([image], outDir);
}

/**
 * Writes several images into one OCI image-layout tar (one import; the layers they share are in
 * it once), unless it is there already: the file name carries the hash of names and manifests.
 */
export async function writeImagesArchive(images: ImageConfig[], outDir: string): Promise<string> {
  const built = images.map((image) => ({ image, ...imageManifest(image) }));
  // The names are in the archive's index, so they are part of its identity with the manifests.
  const identity = createHash('sha256')
    .update(built.map(({ image, manifestDigest }) => `${image.name}@${manifestDigest}`).join('\n'))
    .digest('hex');
  const out = path.join(outDir, `${identity.slice(0, 16)}.oci.tar`);
  if (existsSync(out)) return out;
  await mkdir(outDir, { recursive: true });
  const layout = await mkdtemp(path.join(outDir, 'layout-'));
  try {
    const blobs = path.join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const manifests = built.map(({ image, manifest }) => ({
      ...descriptor('application/vnd.oci.image.manifest.v1+json', manifest),
      annotations: {
        'io.containerd.image.name': image.name,
        'org.opencontainers.image.ref.name': image.name.slice(image.name.lastIndexOf(':') + 1),
      },
    }));
    for (const blob of built.flatMap(({ config, manifest }) => [config, manifest]))
      await writeFile(path.join(blobs, createHash('sha256').update(blob).digest('hex')), blob);
    await writeFile(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      path.join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests }),
    );
    const layers = [
      ...new Map(
        images.flatMap((image) => image.layers).map((layer) => [layer.digest, layer]),
      ).values(),
    ];
    // Layers join the archive through tar's --transform, so they are not copied on disk first.
    const layerArgs = layers.flatMap((layer) => [
      `--directory=${path.dirname(layer.file)}`,
      path.basename(layer.file),
    ]);
    const transforms = layers.map(
      (layer) =>
        `--transform=s|^${path.basename(layer.file)}$|blobs/sha256/${layer.digest.slice(7)}|`,
    );
    const partial = `${out}.partial-${process.pid}`;
    await execFileAsync('tar', [
      '--create',
      `--file=${partial}`,
      ...transforms,
      `--directory=${layout}`,
      'oci-layout',
      'index.json',
      'blobs',
      ...layerArgs,
    ]);
    await rename(partial, out);
    return out;
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}
