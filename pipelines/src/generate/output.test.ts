import { parse } from 'csv-parse/sync';
import { generateInquiries, generateInquiryStream, type GeneratedInquiry } from './inquiries.js';
import { CSV_COLUMNS, formatInquiries } from './output.js';

const RECORDS = generateInquiries({ n: 400, seed: 8 });

const TRICKY: GeneratedInquiry = {
  ...(RECORDS[0] as GeneratedInquiry),
  id: 'tricky',
  subject: 'Re: "quoted", with commas',
  body: '  leading spaces, a "quote", a comma,\nnew lines\r\nand € symbols ""\n\n> quoted reply\n',
};

describe('formatInquiries jsonl', () => {
  it('yields one newline-terminated JSON line per record that parses back', () => {
    const chunks = [...formatInquiries([...RECORDS, TRICKY], 'jsonl')];
    expect(chunks).toHaveLength(RECORDS.length + 1);
    for (const chunk of chunks) {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(chunk.slice(0, -1)).not.toContain('\n');
    }
    expect(chunks.map((chunk) => JSON.parse(chunk) as unknown)).toEqual([...RECORDS, TRICKY]);
  });
});

describe('formatInquiries csv', () => {
  it('writes a header in the field order of GeneratedInquiry', () => {
    const [header] = formatInquiries(RECORDS, 'csv');
    expect(header).toBe(`${CSV_COLUMNS.join(',')}\n`);
    expect([...CSV_COLUMNS]).toEqual(Object.keys(RECORDS[0] as GeneratedInquiry));
  });

  it('round-trips through csv-parse to the same records, multi-line bodies included', () => {
    const records = [...RECORDS, TRICKY];
    const chunks = [...formatInquiries(records, 'csv')];
    expect(chunks).toHaveLength(records.length + 1);
    const parsed = parse(chunks.join(''), { columns: true }) as unknown;
    expect(parsed).toEqual(records);
    expect(records.some((r) => r.body.includes('\n') && r.body.includes(','))).toBe(true);
    expect(RECORDS.some((r) => r.body.includes('"'))).toBe(true);
  });

  it('writes each record as its own chunk', () => {
    const chunks = [...formatInquiries([TRICKY, TRICKY], 'csv')];
    expect(chunks).toHaveLength(3);
    expect(parse(chunks[1] ?? '', { columns: [...CSV_COLUMNS] })).toEqual([TRICKY]);
  });
});

describe('formatInquiries', () => {
  it('consumes its input lazily', () => {
    const chunks = formatInquiries(generateInquiryStream({ n: 1_000_000_000, seed: 1 }), 'csv');
    const firstThree = [chunks.next(), chunks.next(), chunks.next()];
    expect(firstThree.every((result) => result.done === false)).toBe(true);
  });

  it('rejects an unknown format', () => {
    expect(() => [...formatInquiries(RECORDS, 'xml' as 'csv')]).toThrow(RangeError);
  });
});
