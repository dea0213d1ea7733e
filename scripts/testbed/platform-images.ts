/**
 * The platform's own images (operator, inference server, pipelines) for the test bed's node,
 * built from this checkout without a registry or a container engine: each is
 * `docker/<name>.Dockerfile`'s runtime stage laid out as `docker build` would
 * (dockerfile.ts) on the node's base + Node.js layers. Layers: base, Node.js, the production
 * `node_modules` (cached per package-lock.json; only for images whose Dockerfile installs them),
 * the image's own files. Images are tagged with
 * the hash of the build context, so a changed checkout gets new tags and pods never run stale
 * code; older platform archives are deleted when a new set is written.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress, runLong } from './build.js';
import { buildContext, installsModules, layOutRuntimeStage, stageConfig } from './dockerfile.js';
import { writeImagesArchive, type ImageConfig } from './oci.js';
import { baseLayer, cachedLayer, imagesDir, nodeLayer, type ImageArchive } from './node-images.js';

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export const PLATFORM_IMAGES = ['operator', 'inference-server', 'pipelines'] as const;
export type PlatformImage = (typeof PLATFORM_IMAGES)[number];

/** Each platform image's reference, e.g. `localhost/inquiry-platform/operator:3f2a…`. */
export type PlatformImageNames = Record<PlatformImage, string>;

/** The image repository the chart's `image.repository`-style values take (tag apart). */
export const PLATFORM_REPOSITORY = 'localhost/inquiry-platform';

function platformDir(): string {
  return path.join(imagesDir(), 'platform');
}

/** The content hash of what `docker build` would see: the context and the Dockerfiles. */
async function contextHash(root: string, files: string[]): Promise<string> {
  const hash = createHash('sha256');
  const dockerfiles = PLATFORM_IMAGES.map((name) => `docker/${name}.Dockerfile`);
  for (const file of [...files, ...dockerfiles].sort()) {
    hash.update(`${file}\0`);
    hash.update(await readFile(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** The production dependencies' layer (`/app/node_modules`), once per package-lock.json. */
async function modulesLayer(root: string) {
  const lock = await readFile(path.join(root, 'package-lock.json'));
  const key = createHash('sha256')
    .update(lock)
    .update(await readFile(path.join(root, 'package.json')))
    .digest('hex')
    .slice(0, 16);
  return cachedLayer(`platform-modules-${key}`, async (rootfs) => {
    const app = path.join(rootfs, 'app');
    await mkdir(app, { recursive: true });
    for (const file of ['package.json', 'package-lock.json'])
      await cp(path.join(root, file), path.join(app, file));
    // What the Dockerfiles' `npm ci --omit=dev` installs; from the machine's npm cache when it
    // has the packages (it does after the checkout's own `npm ci`).
    await runLong(
      "npm ci --omit=dev (the images' dependencies)",
      'npm',
      ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      app,
    );
    for (const file of ['package.json', 'package-lock.json']) await rm(path.join(app, file));
  });
}

/**
 * Builds (or finds) the three platform images of the checkout at `root`. The build stage's
 * `npm run build` runs in a copy of the build context with the checkout's own node_modules.
 */
export async function platformImages(
  root = repositoryRoot,
): Promise<{ names: PlatformImageNames; archives: ImageArchive[] }> {
  const files = await buildContext(root);
  const key = await contextHash(root, files);
  const names = Object.fromEntries(
    PLATFORM_IMAGES.map((name) => [name, `${PLATFORM_REPOSITORY}/${name}:${key}`]),
  ) as PlatformImageNames;
  const marker = path.join(platformDir(), `${key}.json`);
  if (existsSync(marker)) {
    const archives = JSON.parse(await readFile(marker, 'utf8')) as ImageArchive[];
    if (archives.every(({ archive }) => existsSync(archive))) return { names, archives };
  }
  const started = Date.now();
  await mkdir(platformDir(), { recursive: true });
  const work = await mkdtemp(path.join(platformDir(), `build-${key}-`));
  try {
    const built = path.join(work, 'src');
    for (const file of files) {
      await mkdir(path.dirname(path.join(built, file)), { recursive: true });
      await cp(path.join(root, file), path.join(built, file), { verbatimSymlinks: true });
    }
    await symlink(path.join(root, 'node_modules'), path.join(built, 'node_modules'));
    await runLong("npm run build (the images' build stage)", 'npm', ['run', 'build'], built);
    const [base, node, modules] = [await baseLayer(), await nodeLayer(), await modulesLayer(root)];
    const images: ImageConfig[] = [];
    const ownLayers: string[] = [];
    for (const image of PLATFORM_IMAGES) {
      const dockerfile = await readFile(path.join(root, `docker/${image}.Dockerfile`), 'utf8');
      const stage = stageConfig(dockerfile);
      const own = await cachedLayer(`platform-${image}-${key}`, async (rootfs) => {
        await mkdir(rootfs, { recursive: true });
        await layOutRuntimeStage(dockerfile, {
          context: root,
          built,
          rootfs,
          // The dependencies are the layer below.
          installModules: async () => {},
        });
      });
      ownLayers.push(own.file);
      images.push({
        name: names[image],
        // The operator's image runs one bundled module: no node_modules layer.
        layers: installsModules(dockerfile) ? [base, node, modules, own] : [base, node, own],
        env: Object.entries(stage.env).map(([name, value]) => `${name}=${value}`),
        workingDir: stage.workdir,
        ...(stage.user ? { user: stage.user } : {}),
        ...(stage.entrypoint ? { entrypoint: stage.entrypoint } : {}),
        ...(stage.cmd ? { cmd: stage.cmd } : {}),
      });
    }
    // One archive for the three: their shared layers are imported once.
    const archives: ImageArchive[] = [
      {
        name: `${PLATFORM_REPOSITORY}/*:${key}`,
        archive: await writeImagesArchive(images, platformDir()),
      },
    ];
    await writeFile(marker, JSON.stringify(archives));
    await pruneOtherBuilds(key, archives, ownLayers);
    progress(`  platform images ${key} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { names, archives };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Deletes the archives, markers and own layers of every other build of the platform images. */
async function pruneOtherBuilds(
  key: string,
  keep: ImageArchive[],
  keepLayers: string[],
): Promise<void> {
  const kept = new Set(keep.map(({ archive }) => path.basename(archive)));
  for (const entry of await readdir(platformDir())) {
    if (entry.endsWith('.oci.tar') && !kept.has(entry))
      await rm(path.join(platformDir(), entry), { force: true });
    if (entry.endsWith('.json') && entry !== `${key}.json`)
      await rm(path.join(platformDir(), entry), { force: true });
  }
  const layers = path.join(imagesDir(), 'layers');
  for (const entry of await readdir(layers)) {
    const match = /^platform-(?:operator|inference-server|pipelines)-(\w+)\.json$/.exec(entry);
    if (!match || match[1] === key) continue;
    const { file } = JSON.parse(await readFile(path.join(layers, entry), 'utf8')) as {
      file: string;
    };
    // Two builds whose images hold the same files share their layers' tars.
    if (!keepLayers.includes(file)) await rm(file, { force: true });
    await rm(path.join(layers, entry), { force: true });
  }
}
