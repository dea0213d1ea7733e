/**
 * The platform's Dockerfiles without a container engine (none runs here): the build context as
 * `docker build` sends it (tracked files minus .dockerignore), and a runtime stage laid out in a
 * directory standing for `/` as its instructions would — COPY from the build stage or the
 * context, `npm ci --omit=dev`, the `printf` command wrappers. An instruction this does not know
 * is refused, so the layout cannot silently fall behind the Dockerfiles. The test bed's platform
 * images and the images test both lay the Dockerfiles out through here.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Instruction {
  op: string;
  args: string;
}

/** The instructions of a Dockerfile's last stage (line continuations joined, comments gone). */
export function runtimeStage(dockerfile: string): Instruction[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const from = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  return lines.slice(from + 1).map((line) => {
    const [op, ...rest] = line.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });
}

/**
 * The files of the build context of `root` as `docker build` would send them from the working
 * tree: tracked and new files (git's ignore rules keep out node_modules and the like), minus
 * .dockerignore's patterns.
 */
export async function buildContext(root: string): Promise<string[]> {
  const ignore = (await readFile(path.join(root, '.dockerignore'), 'utf8'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const { stdout } = await execFileAsync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout
    .split('\n')
    .filter((file) => file && existsSync(path.join(root, file)))
    .filter(
      (file) =>
        !ignore.some(
          (pattern) =>
            path.matchesGlob(file, pattern) ||
            file.startsWith(`${pattern}/`) ||
            path.matchesGlob(path.basename(file), pattern),
        ),
    );
}

/** What an image built from the stage starts with: its config, as `docker build` records it. */
export interface StageConfig {
  env: Record<string, string>;
  workdir: string;
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
}

export interface LayOutOptions {
  /** The build context (the repository root): where plain COPY sources come from. */
  context: string;
  /** The build stage's `/src` after its `npm run build`: where `COPY --from=build /src/…` reads. */
  built: string;
  /** The directory standing for the image's `/`. */
  rootfs: string;
  /** Stands for `RUN npm ci --omit=dev …` in `appDir` (the WORKDIR, inside rootfs). */
  installModules: (appDir: string) => Promise<void>;
  /** The command wrappers' text as written into the image (a layout run in place rewrites paths). */
  wrapper?: (script: string) => string;
}

/** JSON-form ENTRYPOINT/CMD (the only form the Dockerfiles use: no shell in between). */
function execForm(op: string, args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((arg) => typeof arg === 'string'))
    throw new Error(`${op} ${args}: only the JSON form ["command", "arg", …] is supported`);
  return parsed;
}

/** Records a config instruction (ENV, WORKDIR, USER, ENTRYPOINT, CMD) in `config`; false for others. */
function configure(config: StageConfig, { op, args }: Instruction): boolean {
  if (op === 'WORKDIR') config.workdir = args;
  else if (op === 'ENV')
    for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) config.env[key!] = value!;
  else if (op === 'USER') config.user = args;
  else if (op === 'ENTRYPOINT') config.entrypoint = execForm(op, args);
  else if (op === 'CMD') config.cmd = execForm(op, args);
  else return false;
  return true;
}

/** The config an image built from the runtime stage of `dockerfile` (its text) starts with. */
export function stageConfig(dockerfile: string): StageConfig {
  const config: StageConfig = { env: {}, workdir: '/' };
  for (const instruction of runtimeStage(dockerfile)) configure(config, instruction);
  return config;
}

/** Whether the runtime stage of `dockerfile` installs the production dependencies. */
export function installsModules(dockerfile: string): boolean {
  return runtimeStage(dockerfile).some(
    ({ op, args }) => op === 'RUN' && args.startsWith('npm ci --omit=dev'),
  );
}

/** Lays out the runtime stage of `dockerfile` (the file's text) under `options.rootfs`. */
export async function layOutRuntimeStage(
  dockerfile: string,
  options: LayOutOptions,
): Promise<StageConfig> {
  const { context, built, rootfs } = options;
  const config: StageConfig = { env: {}, workdir: '/' };
  const at = (target: string) =>
    path.join(rootfs, path.isAbsolute(target) ? target : path.join(config.workdir, target));
  for (const instruction of runtimeStage(dockerfile)) {
    const { op, args } = instruction;
    if (configure(config, instruction)) {
      if (op === 'WORKDIR') await mkdir(at('.'), { recursive: true });
    } else if (op === 'COPY') {
      const fromBuild = args.startsWith('--from=build ');
      const [source, target] = args.replace(/^--from=build\s+/, '').split(/\s+/) as [
        string,
        string,
      ];
      const sourceRoot = fromBuild ? built : context;
      const relative = fromBuild ? path.relative('/src', source) : source;
      if (relative.includes('*')) {
        const directory = path.dirname(relative);
        await mkdir(at(target), { recursive: true });
        for (const file of await readdir(path.join(sourceRoot, directory)))
          if (path.matchesGlob(file, path.basename(relative)))
            await cp(path.join(sourceRoot, directory, file), path.join(at(target), file));
      } else if (!fromBuild && source === 'package.json') {
        // `COPY package.json package-lock.json ./`: every source before the last word.
        const words = args.split(/\s+/);
        for (const file of words.slice(0, -1))
          await cp(path.join(context, file), path.join(at(words.at(-1)!), file));
      } else {
        await mkdir(path.dirname(at(target)), { recursive: true });
        await cp(path.join(sourceRoot, relative), at(target), { recursive: true });
      }
    } else if (op === 'RUN' && args.startsWith('npm ci --omit=dev')) {
      await options.installModules(at('.'));
    } else if (op === 'RUN' && args.startsWith('printf')) {
      for (const [, script, target] of args.matchAll(/printf '([^']*)' > (\S+)/g)) {
        const file = path.join(rootfs, target!);
        await mkdir(path.dirname(file), { recursive: true });
        const text = script!.replace(/\\n/g, '\n');
        await writeFile(file, options.wrapper ? options.wrapper(text) : text);
      }
      for (const [, targets] of args.matchAll(/chmod 0755 ([^&]+)/g))
        for (const target of targets!.trim().split(/\s+/))
          await chmod(path.join(rootfs, target), 0o755);
    } else if (!['ARG', 'EXPOSE'].includes(op)) {
      throw new Error(`this layout cannot follow the Dockerfile's "${op} ${args}"`);
    }
  }
  return config;
}
