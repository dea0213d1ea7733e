/**
 * Writes data/real from the real-dev sets ($REAL_DEV_DIR, default ../shared/data/real-dev next
 * to the repository): the training splits (for GoEmotions also the dev split; never a test
 * split), mapped onto the platform's heads (pipelines/src/train/real-data.ts), MultiDoGO capped
 * and sampled with a fixed seed, with each set's
 * licence files. `npx tsx scripts/copy-real-data.ts`; the result is committed.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { readAllRecords } from '../pipelines/src/data/records.js';
import { Random } from '../pipelines/src/train/fasttext.js';
import {
  GOEMOTIONS_SENTIMENTS,
  REAL_DATA_DIR,
  mappedCategory,
  outOfScopeTrainingIntents,
} from '../pipelines/src/train/real-data.js';

const root = path.resolve(import.meta.dirname, '..');
const source = process.env.REAL_DEV_DIR ?? path.resolve(root, '..', 'shared', 'data', 'real-dev');
const PER_INTENT_CAP = 300;

/** Every example of a group at most `cap` times, chosen by a seeded shuffle, in file order. */
function capPerGroup<T>(items: T[], group: (item: T) => string, cap: number, seed: number): T[] {
  const kept = new Set<number>();
  const counts = new Map<string, number>();
  for (const i of new Random(seed).shuffle([...items.keys()])) {
    const key = group(items[i]!);
    if ((counts.get(key) ?? 0) >= cap) continue;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    kept.add(i);
  }
  return items.filter((_, i) => kept.has(i));
}

async function write(file: string, header: string[], rows: string[][]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, stringify([header, ...rows]));
  process.stdout.write(`${path.relative(root, file)}: ${rows.length} rows\n`);
}

const words = (text: string): number => text.trim().split(/\s+/).length;

const clincRows = await readAllRecords(path.join(source, 'clinc150', 'clinc150.csv'));
const clinc = clincRows.filter(
  (row) => row.split === 'train' && mappedCategory('clinc150', String(row.intent)),
);
await write(
  path.join(REAL_DATA_DIR, 'clinc150', 'category.csv'),
  ['text', 'category', 'intent'],
  clinc.map((row) => [
    String(row.text),
    mappedCategory('clinc150', String(row.intent))!,
    String(row.intent),
  ]),
);

// Out of the category head's scope: the training rows of half the intents with no category, and
// the out-of-scope queries of the training and validation splits (their test split stays out).
const outlierIntents = outOfScopeTrainingIntents(clincRows.map((row) => String(row.intent)));
await write(
  path.join(REAL_DATA_DIR, 'clinc150', 'out-of-scope.csv'),
  ['text', 'intent'],
  clincRows
    .filter(
      (row) =>
        outlierIntents.has(String(row.intent)) &&
        (row.split === 'train' || row.split === 'oos_train' || row.split === 'oos_val'),
    )
    .map((row) => [String(row.text), String(row.intent)]),
);

const seen = new Set<string>();
const multidogo = capPerGroup(
  (await readAllRecords(path.join(source, 'multidogo', 'multidogo.csv'))).filter((row) => {
    const text = String(row.text).trim();
    if (row.split !== 'train' || words(text) < 3 || seen.has(text)) return false;
    seen.add(text);
    return mappedCategory('multidogo', String(row.intent)) !== undefined;
  }),
  (row) => String(row.intent),
  PER_INTENT_CAP,
  1,
);
await write(
  path.join(REAL_DATA_DIR, 'multidogo', 'category.csv'),
  ['text', 'category', 'intent', 'domain'],
  multidogo.map((row) => [
    String(row.text).trim(),
    mappedCategory('multidogo', String(row.intent))!,
    String(row.intent),
    String(row.domain),
  ]),
);

// GoEmotions: every row of the (capped) training and the dev split with a three-way sentiment;
// the test split stays out.
const goemotions = (await readAllRecords(path.join(source, 'goemotions', 'goemotions.csv'))).filter(
  (row) =>
    (row.split === 'train' || row.split === 'dev') &&
    (GOEMOTIONS_SENTIMENTS as readonly string[]).includes(String(row.sentiment)),
);
await write(
  path.join(REAL_DATA_DIR, 'goemotions', 'sentiment.csv'),
  ['text', 'sentiment'],
  goemotions.map((row) => [String(row.text), String(row.sentiment)]),
);

for (const [set, files] of [
  ['clinc150', ['LICENSE', 'SOURCE.md']],
  ['multidogo', ['LICENSE.txt', 'NOTICE', 'SOURCE.md']],
  ['goemotions', ['SOURCE.md']],
] as const) {
  for (const file of files) {
    await copyFile(path.join(source, set, file), path.join(REAL_DATA_DIR, set, file));
  }
}
