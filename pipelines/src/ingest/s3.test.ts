import { advance, objectsToRead, parseS3Url } from './s3.js';

const at = (key: string, iso: string) => ({ key, modified: new Date(iso) });

describe('the S3 source’s choice of objects', () => {
  const objects = [
    at('in/b.csv', '2026-01-01T10:00:01Z'),
    at('in/a.jsonl', '2026-01-01T10:00:01Z'),
    at('in/old.jsonl', '2026-01-01T09:00:00Z'),
    at('in/readme.txt', '2026-01-01T11:00:00Z'),
    at('in/new.ndjson', '2026-01-01T12:00:00Z'),
  ];

  it('reads every record file, oldest first, on a first run', () => {
    expect(objectsToRead(objects, undefined).map((o) => o.key)).toEqual([
      'in/old.jsonl',
      'in/a.jsonl',
      'in/b.csv',
      'in/new.ndjson',
    ]);
  });

  it('reads only what the checkpoint does not cover, same instant included', () => {
    let checkpoint = advance(undefined, objects[2]!);
    checkpoint = advance(checkpoint, objects[1]!);
    expect(checkpoint).toEqual({ modified: '2026-01-01T10:00:01.000Z', keys: ['in/a.jsonl'] });
    // in/b.csv shares in/a.jsonl's instant but was not read (uploaded after the listing).
    expect(objectsToRead(objects, checkpoint).map((o) => o.key)).toEqual([
      'in/b.csv',
      'in/new.ndjson',
    ]);
    checkpoint = advance(checkpoint, objects[0]!);
    expect(checkpoint.keys).toEqual(['in/a.jsonl', 'in/b.csv']);
    expect(advance(checkpoint, objects[2]!)).toBe(checkpoint);
  });

  it('parses s3:// locations and refuses others', () => {
    expect(parseS3Url('s3://inquiries/2026/')).toEqual({ bucket: 'inquiries', prefix: '2026/' });
    expect(parseS3Url('s3://inquiries')).toEqual({ bucket: 'inquiries', prefix: '' });
    expect(() => parseS3Url('https://x/y')).toThrow(/not an S3 location: write s3:\/\/bucket/);
  });
});
