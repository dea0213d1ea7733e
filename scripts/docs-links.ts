/**
 * The links of the repository's Markdown files: every relative link must name a file or folder
 * inside the repository (and, with a `#fragment`, a heading of that file), and no link may
 * leave the repository — a clone holds nothing beyond it. Web links (http, https, mailto) are
 * not followed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface Link {
  target: string;
  line: number;
}

/** Folders that hold no documentation of ours (hidden ones, `.git` included, are skipped too). */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'coverage']);

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) lines.push({ text, line: index + 1 });
  });
  return lines;
}

/** Inline links and images `[text](target)`, reference definitions `[id]: target`, autolinks `<scheme:…>`; code spans are not links. */
export function markdownLinks(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[^`]*?\1/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ target: match[1]!, line });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
    if (definition) links.push({ target: definition[1]!, line });
    for (const match of prose.matchAll(/<([a-z][a-z0-9+.-]*:[^\s>]+)>/gi))
      links.push({ target: match[1]!, line });
  }
  return links;
}

/** The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The fragments a Markdown file's headings can be linked by (repeated headings get -1, -2, …). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = headingSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** What is wrong with each link of `file` (a path inside `root`), as sentences; empty when all resolve. */
export function linkProblems(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  const where = (link: Link) => `${path.relative(root, file)}:${link.line}: link "${link.target}"`;
  for (const link of markdownLinks(markdown)) {
    if (/^(https?|mailto):/i.test(link.target)) continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('/')) {
      problems.push(`${where(link)} is not relative to the file: use a path inside the repository`);
      continue;
    }
    const [pathPart, fragment] = link.target.split('#', 2) as [string, string | undefined];
    if (pathPart === '') {
      if (fragment && !headingAnchors(markdown).has(fragment))
        problems.push(`${where(link)}: this file has no heading with the fragment #${fragment}`);
      continue;
    }
    const resolved = path.resolve(path.dirname(file), decodeURI(pathPart));
    const inside = path.relative(root, resolved);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      problems.push(`${where(link)} leaves the repository (resolves to ${resolved})`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${where(link)} names ${inside}, which does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
      if (!anchors.has(fragment))
        problems.push(`${where(link)}: ${inside} has no heading with the fragment #${fragment}`);
    }
  }
  return problems;
}

/** Every Markdown file of the repository (outside dependencies and build output). */
export function markdownFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.'))
          walk(path.join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.md'))
        files.push(path.join(dir, entry.name));
    }
  };
  walk(root);
  return files.sort();
}
