/**
 * The platform's one logger: pino JSON lines on stderr (stdout stays free for a command's
 * output). Fields that can carry personal data are redacted wherever they appear, so an
 * inquiry or a sender never reaches a log line.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Field names whose values are personal data or message content. */
export const REDACTED_FIELDS = [
  'body',
  'subject',
  'text',
  'texts',
  'sender_email',
  'senderEmail',
  'sender_name',
  'senderName',
  'email',
  'authorization',
  'password',
];

export function createLogger(component: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: component,
      level,
      base: { component },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
