import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  headingAnchors,
  headingSlug,
  linkProblems,
  markdownFiles,
  markdownLinks,
} from './docs-links.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('the repository documentation', () => {
  const files = markdownFiles(ROOT);

  it('includes the README and docs/', () => {
    const names = files.map((file) => path.relative(ROOT, file));
    expect(names).toContain('README.md');
    expect(names).toContain(path.join('docs', 'architecture.md'));
  });

  it.each(files.map((file) => [path.relative(ROOT, file), file]))(
    '%s: every relative link names a file of the repository',
    (_name, file) => {
      expect(linkProblems(ROOT, file, readFileSync(file, 'utf8'))).toEqual([]);
    },
  );
});

describe('markdownLinks', () => {
  it('finds inline links, images, reference definitions and autolinks, not code', () => {
    const markdown = [
      'See [the design](docs/architecture.md#folders "title") and ![a graph](img/a.svg).',
      '[ref]: ../outside.md',
      'Mail <mailto:ops@example.com>; code `[not](a-link.md)` stays code.',
      '```sh',
      'echo "[also not](a-link.md)"',
      '```',
    ].join('\n');
    expect(markdownLinks(markdown)).toEqual([
      { target: 'docs/architecture.md#folders', line: 1 },
      { target: 'img/a.svg', line: 1 },
      { target: '../outside.md', line: 2 },
      { target: 'mailto:ops@example.com', line: 3 },
    ]);
  });
});

describe('headingAnchors', () => {
  it('gives the fragments GitHub gives, repeated headings numbered', () => {
    expect(
      headingSlug('Operator fleet (`npm run bench:operator`, `bench/operator-fleet.ts`)'),
    ).toBe('operator-fleet-npm-run-benchoperator-benchoperator-fleetts');
    expect(headingSlug('One ModelVersion, edge to end')).toBe('one-modelversion-edge-to-end');
    expect([...headingAnchors('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')]).toEqual([
      'a',
      'notes',
      'notes-1',
    ]);
  });
});

describe('linkProblems', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'docs-links-'));
    await mkdir(path.join(root, 'docs'));
    await writeFile(path.join(root, 'docs', 'api.md'), '# API\n## Errors\n');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('accepts links to files, folders and headings inside the repository, and web links', () => {
    const readme = path.join(root, 'README.md');
    const markdown =
      '[api](docs/api.md) [errors](docs/api.md#errors) [docs](docs/) [top](#intro) ' +
      '[web](https://example.com/x.md)\n# Intro\n';
    expect(linkProblems(root, readme, markdown)).toEqual([]);
  });

  it('names each link that leaves the repository, is absolute, or names nothing', () => {
    const readme = path.join(root, 'README.md');
    const markdown = [
      'Design: [DESIGN](../shared/DESIGN.md).',
      '[abs](/etc/passwd) [file](file:///etc/passwd)',
      '[gone](docs/gone.md) [no heading](docs/api.md#metrics)',
    ].join('\n');
    const problems = linkProblems(root, readme, markdown);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(
      /^README\.md:1: link "\.\.\/shared\/DESIGN\.md" leaves the repository/,
    );
    expect(problems[1]).toMatch(/README\.md:2: link "\/etc\/passwd" is not relative/);
    expect(problems[2]).toMatch(/README\.md:2: link "file:\/\/\/etc\/passwd" is not relative/);
    expect(problems[3]).toMatch(
      /README\.md:3: link "docs\/gone\.md" names docs\/gone\.md, which does not exist/,
    );
    expect(problems[4]).toMatch(/docs\/api\.md has no heading with the fragment #metrics/);
  });
});
