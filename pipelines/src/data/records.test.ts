import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatOf, readAllRecords } from './records.js';

describe('readRecords', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'records-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads JSONL, skipping blank lines', async () => {
    const file = path.join(dir, 'a.jsonl');
    await writeFile(file, '{"subject":"a","n":1}\n\n{"subject":"b","n":2}\n');
    expect(await readAllRecords(file)).toEqual([
      { subject: 'a', n: 1 },
      { subject: 'b', n: 2 },
    ]);
  });

  it('reads CSV with a header, quoted commas, quotes and newlines', async () => {
    const file = path.join(dir, 'a.csv');
    await writeFile(file, 'subject,body\n"Hi, there","Line one\nsaid ""hello"""\nplain,text\n');
    expect(await readAllRecords(file)).toEqual([
      { subject: 'Hi, there', body: 'Line one\nsaid "hello"' },
      { subject: 'plain', body: 'text' },
    ]);
  });

  it('names the file, line and column of bad JSON, and refuses unknown extensions', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, '{"ok":1}\n{"text": "a",, "b": 1}\n');
    await expect(readAllRecords(file)).rejects.toThrow(/bad\.jsonl:2:14: not valid JSON/);
    await writeFile(file, '{"ok":1}\n\n[1, 2]\n');
    await expect(readAllRecords(file)).rejects.toThrow(/bad\.jsonl:3:1: not a JSON object/);
    expect(() => formatOf('data.parquet')).toThrow(/\.jsonl or \.csv/);
  });

  it('names the file, line and field of a malformed CSV row', async () => {
    const file = path.join(dir, 'bad.csv');
    await writeFile(file, 'text,category\n"fine",billing\nok,"bad "quote"\n');
    await expect(readAllRecords(file)).rejects.toThrow(
      /bad\.csv:3:2: Invalid Closing Quote.*\(column "category"\)/,
    );
    await writeFile(file, 'text,category\nfine,billing\nthree,fields,here\n');
    await expect(readAllRecords(file)).rejects.toThrow(/bad\.csv:3(:\d+)?: .*column/i);
  });

  it('says a file cannot be read, naming it, instead of dying of the stream error', async () => {
    for (const name of ['missing.csv', 'missing.jsonl']) {
      const file = path.join(dir, name);
      await expect(readAllRecords(file)).rejects.toThrow(`cannot read ${file}: no such file`);
    }
    await expect(readAllRecords(dir, 'csv')).rejects.toThrow(
      `cannot read ${dir}: it is a directory`,
    );
  });
});
