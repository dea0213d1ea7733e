/**
 * What an inquiry is on the way in, for every entry point (the HTTP API, the ingest step):
 * its JSON schema, validation with messages a person understands, normalization, and the
 * content hash that makes the same inquiry count once.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { comparableAddress, emailAddressProblem } from './email-address.js';

export const CHANNELS = ['email', 'web_form', 'chat', 'phone_transcript', 'api'] as const;
export type Channel = (typeof CHANNELS)[number];

export const LIMITS = {
  subjectChars: 500,
  bodyChars: 20_000,
  senderNameChars: 200,
  emailChars: 254,
  metadataBytes: 16_384,
  metadataDepth: 32,
} as const;

/** JSON schema of a submitted inquiry (also published in the OpenAPI document). */
export const inquiryInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['body', 'sender_email'],
  properties: {
    subject: {
      type: 'string',
      maxLength: LIMITS.subjectChars,
      description: 'Subject line; may be empty.',
    },
    body: {
      type: 'string',
      minLength: 1,
      maxLength: LIMITS.bodyChars,
      description: 'The message text.',
    },
    sender_email: {
      type: 'string',
      format: 'idn-email',
      maxLength: LIMITS.emailChars,
      description:
        "The sender's address; internationalised addresses (RFC 6531, IDNA domains) are accepted. Stored as given, trimmed.",
    },
    sender_name: { type: 'string', maxLength: LIMITS.senderNameChars },
    channel: { type: 'string', enum: [...CHANNELS], default: 'api' },
    external_id: { type: 'string', maxLength: 200, description: 'The id in the source system.' },
    received_at: { type: 'string', format: 'date-time', description: 'When the inquiry arrived.' },
    metadata: { type: 'object', description: 'Free-form attributes, stored as given.' },
  },
} as const;

export interface InquiryInput {
  subject: string;
  body: string;
  sender_email: string;
  sender_name: string | null;
  channel: Channel;
  external_id: string | null;
  received_at: Date | null;
  metadata: Record<string, unknown>;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export type Validated = { ok: true; value: InquiryInput } | { ok: false; problems: FieldProblem[] };

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv, formats: string[]) => Ajv;
// verbose: a format error carries the value, so that it can say what is wrong with an address.
const ajv = addFormats(new Ajv({ allErrors: true, strict: true, verbose: true }), [
  'date-time',
]).addFormat('idn-email', {
  type: 'string',
  validate: (address: string) => emailAddressProblem(address) === undefined,
});
const validateSchema = ajv.compile(inquiryInputSchema);

function describe(error: ErrorObject): FieldProblem {
  const field =
    error.keyword === 'required'
      ? String((error.params as { missingProperty: string }).missingProperty)
      : error.keyword === 'additionalProperties'
        ? String((error.params as { additionalProperty: string }).additionalProperty)
        : error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(body)';
  switch (error.keyword) {
    case 'required':
      return { field, message: 'is required' };
    case 'additionalProperties':
      return { field, message: 'is not a known field' };
    case 'format':
      return {
        field,
        message:
          error.params.format === 'idn-email'
            ? `is not a valid email address: ${emailAddressProblem(String(error.data))}`
            : `must be ${String(error.params.format)}`,
      };
    case 'minLength':
      return { field, message: 'must not be empty' };
    case 'maxLength':
      return { field, message: `must be at most ${String(error.params.limit)} characters` };
    case 'enum':
      return {
        field,
        message: `must be one of ${(error.params.allowedValues as string[]).join(', ')}`,
      };
    case 'type':
      return {
        field,
        message: `must be ${/^[aeiou]/.test(String(error.params.type)) ? 'an' : 'a'} ${String(error.params.type)}`,
      };
    default:
      return { field, message: error.message ?? 'is invalid' };
  }
}

/** Text Postgres can store and a person typed: no NUL characters, no unpaired surrogates. */
function encodingProblems(value: Record<string, unknown>): FieldProblem[] {
  return ['subject', 'body', 'sender_name', 'sender_email', 'external_id'].flatMap((field) => {
    const text = value[field];
    if (typeof text !== 'string') return [];
    const problem = textProblem(text);
    return problem ? [{ field, message: problem }] : [];
  });
}

/**
 * One problem per field of `record` not in `known`, each named (after `prefix`, e.g. `inputs[0].`):
 * a misspelt optional field is refused rather than silently ignored.
 */
export function unknownFieldProblems(
  record: object,
  known: readonly string[],
  prefix = '',
): FieldProblem[] {
  return Object.keys(record)
    .filter((field) => !known.includes(field))
    .map((field) => ({
      field: `${prefix}${field.length > 64 ? `${field.slice(0, 64)}…` : field}`,
      message: `is not a known field (${known.join(', ')})`,
    }));
}

/** Why `text` cannot be stored as text, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (!text.isWellFormed()) return 'is not valid Unicode text (an unpaired surrogate)';
  return undefined;
}

/**
 * Metadata PostgreSQL's jsonb can hold and a reader can walk: at most `LIMITS.metadataDepth`
 * levels, keys and strings without NUL or unpaired surrogates. Iterative, so any depth is safe.
 */
function metadataProblems(metadata: unknown): FieldProblem[] {
  const stack: { value: unknown; path: string; depth: number }[] = [
    { value: metadata, path: 'metadata', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return [{ field: path, message: problem }];
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= LIMITS.metadataDepth)
        return [
          {
            field: 'metadata',
            message: `must be nested at most ${LIMITS.metadataDepth} levels deep`,
          },
        ];
      for (const [key, child] of Object.entries(value)) {
        const problem = textProblem(key);
        if (problem) return [{ field: `${path} key`, message: problem }];
        stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
      }
    }
  }
  return [];
}

/** A time PostgreSQL stores as given: a real instant (no leap second) between years 1 and 9999. */
function timeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const time = new Date(value).getTime();
  if (Number.isNaN(time))
    return 'must be a real time: RFC 3339, e.g. 2026-01-31T09:30:00Z (no leap second :60)';
  return undefined;
}

/** True when nothing would be left to read: only spaces, zero-width and other format marks. */
function blank(text: string): boolean {
  return text.replace(/[\s\p{Cf}]/gu, '') === '';
}

function codePoints(text: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs++;
        i++;
      }
    }
  }
  return text.length - surrogatePairs;
}

/** Longest text classify and V2 infer take: a subject and a body at their limits. */
export const CLASSIFY_TEXT_CHARS = LIMITS.subjectChars + LIMITS.bodyChars;

/** Why a text cannot be classified (`tooLong`: a 413, else a 422), or undefined when it can. */
export function classifyTextProblem(
  text: string,
): { tooLong: boolean; message: string } | undefined {
  // Characters are code points, as the inquiry schema counts them (an emoji is one, not two).
  if (text.length > CLASSIFY_TEXT_CHARS) {
    const chars = codePoints(text);
    if (chars > CLASSIFY_TEXT_CHARS)
      return {
        tooLong: true,
        message: `must be at most ${CLASSIFY_TEXT_CHARS} characters (got ${chars})`,
      };
  }
  const problem = textProblem(text);
  if (problem) return { tooLong: false, message: problem };
  if (blank(text)) return { tooLong: false, message: 'must not be empty or blank' };
  return undefined;
}

/** Collapses runs of spaces and trims; line breaks are kept (they carry meaning in a message). */
function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

/** Validates and normalizes one inquiry; never throws on bad input. */
export function validateInquiry(input: unknown): Validated {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '(body)', message: 'must be a JSON object' }] };
  }
  const record = input as Record<string, unknown>;
  const problems = validateSchema(record) ? [] : (validateSchema.errors ?? []).map(describe);
  problems.push(...encodingProblems(record));
  const receivedAt = problems.some((p) => p.field === 'received_at')
    ? undefined
    : timeProblem(record.received_at);
  if (receivedAt) problems.push({ field: 'received_at', message: receivedAt });
  const metadata = record.metadata === undefined ? [] : metadataProblems(record.metadata);
  problems.push(...metadata);
  if (
    metadata.length === 0 &&
    record.metadata !== undefined &&
    JSON.stringify(record.metadata).length > LIMITS.metadataBytes
  ) {
    problems.push({
      field: 'metadata',
      message: `must be at most ${LIMITS.metadataBytes} bytes as JSON`,
    });
  }
  const body = typeof record.body === 'string' ? tidy(record.body) : '';
  if (problems.length === 0 && blank(body))
    problems.push({ field: 'body', message: 'must not be blank' });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      subject: tidy((record.subject as string | undefined) ?? ''),
      body,
      sender_email: (record.sender_email as string).trim(),
      sender_name: typeof record.sender_name === 'string' ? tidy(record.sender_name) || null : null,
      channel: (record.channel as Channel | undefined) ?? 'api',
      external_id: (record.external_id as string | undefined) ?? null,
      received_at: typeof record.received_at === 'string' ? new Date(record.received_at) : null,
      metadata: (record.metadata as Record<string, unknown> | undefined) ?? {},
    },
  };
}

/**
 * `sha256:…` of the sender, subject and body with case and spacing left out; senders are compared
 * as `comparableAddress` has it (`Ann@Bücher.de` and `ann@xn--bcher-kva.de` are one).
 */
export function contentHash(
  inquiry: Pick<InquiryInput, 'sender_email' | 'subject' | 'body'>,
): string {
  const hash = createHash('sha256');
  for (const part of [
    comparableAddress(inquiry.sender_email),
    inquiry.subject.toLowerCase(),
    inquiry.body.toLowerCase(),
  ]) {
    hash.update(part.replace(/\s+/g, ' ').trim());
    hash.update('\u0001');
  }
  return `sha256:${hash.digest('hex')}`;
}

export function problemsText(problems: FieldProblem[]): string {
  return problems.map((problem) => `${problem.field} ${problem.message}`).join('; ');
}
