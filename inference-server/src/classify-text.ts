/**
 * One text to classify, from a request body to the answer: what `POST /api/v1/inquiries/classify`
 * answers, whether Koa or the plain handler in front of it (fast-classify.ts) serves it.
 */
import { classifyTextProblem, unknownFieldProblems, type FieldProblem } from '../../lib/inquiry.js';
import { inquiryText } from '../../lib/model/runtime.js';
import { combineUrgency, detectUrgency } from '../../lib/routing/urgency.js';
import { classificationView } from './classification-view.js';
import { badRequest, HttpError, invalidInput } from './errors.js';
import type { Classifier } from './model/classifier.js';

/** The text of a classify request: a bare JSON string, or {subject?, body}. */
export function classifyText(body: unknown): string {
  const problems: FieldProblem[] = [];
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { subject, body: message } = body as Record<string, unknown>;
    problems.push(...unknownFieldProblems(body, ['subject', 'body']));
    if (typeof message !== 'string')
      problems.push({
        field: 'body',
        message: message === undefined ? 'is required' : 'must be a string',
      });
    if (subject !== undefined && typeof subject !== 'string')
      problems.push({ field: 'subject', message: 'must be a string' });
    if (problems.length === 0)
      text = inquiryText({ subject: subject as string | undefined, body: message as string });
  } else {
    throw badRequest('send a JSON string, or an object {"subject"?: string, "body": string}');
  }
  if (problems.length > 0) throw invalidInput(problems);
  const problem = classifyTextProblem(text ?? '');
  if (problem?.tooLong)
    throw new HttpError(413, 'payload_too_large', `the text ${problem.message}`);
  if (problem) throw invalidInput([{ field: 'body', message: problem.message }]);
  return text!;
}

/**
 * The items of a batch classify request: `{"texts": [...]}` (no other field) or a bare JSON array.
 * Each item is still to be read with `classifyText`.
 */
export function batchItems(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null) {
    const problems = unknownFieldProblems(body, ['texts']);
    const { texts } = body as { texts?: unknown };
    if (problems.length > 0 && texts === undefined)
      problems.push({ field: 'texts', message: 'is required' });
    if (problems.length > 0) throw invalidInput(problems);
    if (Array.isArray(texts)) return texts;
  }
  throw badRequest('send {"texts": [...]} (strings or {subject?, body} objects), or a JSON array');
}

/** The answer to a classify request whose handling began at `started` (performance.now()). */
export async function classifyAnswer(
  classifier: Classifier,
  text: string,
  allScores: boolean,
  started: number,
): Promise<Record<string, unknown>> {
  const { version, results } = await classifier.classify([text]);
  const urgency = combineUrgency(results[0]!.urgency, detectUrgency(text));
  return {
    ...classificationView(results[0]!, urgency, allScores),
    model_version: version,
    processing_time_ms: Math.round((performance.now() - started) * 100) / 100,
  };
}
