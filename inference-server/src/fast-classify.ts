/**
 * `POST /api/v1/inquiries/classify` answered in front of Koa, for the plain requests that make up
 * its traffic: a JSON body of a declared length, no Content-Encoding, no token to check, no rate
 * limit. Koa's middleware chain costs more than the model's share of such a request. The answer,
 * its errors and its metrics come from the same functions the Koa route uses (classify-text.ts,
 * errors.ts, metrics.ts); any other request goes to Koa, which serves it as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import { classifyAnswer, classifyText } from './classify-text.js';
import { bodyError, errorBody, httpErrorOf, type HttpError } from './errors.js';
import { parseJsonBody } from './json-body.js';
import type { Classifier } from './model/classifier.js';

export const CLASSIFY_ROUTE = '/api/v1/inquiries/classify';

const ALL_SCORES_URL = `${CLASSIFY_ROUTE}?include_all_scores=true`;
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

export interface FastClassifyDeps {
  classifier: Classifier;
  logger: Logger;
  /** Largest request body, in bytes (the same limit Koa's parser applies). */
  bodyBytes: number;
  recordHttp: (route: string, method: string, status: number, seconds: number) => void;
}

/**
 * A handler that answers a plain classify request and returns true, or returns false without
 * touching the request (Koa serves it).
 */
export function fastClassify(
  deps: FastClassifyDeps,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    if (!isPlainClassify(request, deps.bodyBytes)) return false;
    const started = performance.now();
    const allScores = request.url === ALL_SCORES_URL;
    readBody(request, (failure, bytes) => {
      let answer: Promise<Record<string, unknown>>;
      try {
        if (failure) throw bodyError(failure);
        answer = classifyAnswer(
          deps.classifier,
          classifyText(parseJsonBody(bytes!)),
          allScores,
          started,
        );
      } catch (caught) {
        answerError(deps, response, caught, started);
        return;
      }
      answer.then(
        (body) => answer200(deps, response, body, started),
        (caught: unknown) => answerError(deps, response, caught, started),
      );
    });
    return true;
  };
}

/**
 * A request whose every header Koa would pass through unchanged to the classify route: POST to
 * the route itself (no trailing slash, no other query), a JSON body of a declared length within
 * the limit, nothing to inflate or decode but UTF-8.
 */
function isPlainClassify(request: IncomingMessage, bodyBytes: number): boolean {
  if (request.method !== 'POST') return false;
  if (request.url !== CLASSIFY_ROUTE && request.url !== ALL_SCORES_URL) return false;
  const { headers } = request;
  if (!JSON_TYPES.has(headers['content-type']!)) return false;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined)
    return false;
  const length = headers['content-length'];
  return length !== undefined && /^\d{1,9}$/.test(length) && Number(length) <= bodyBytes;
}

/** The body's bytes, or why it could not be read (the error raw-body raises). */
function readBody(
  request: IncomingMessage,
  done: (failure: (Error & { status: number }) | undefined, bytes?: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let finished = false;
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    finished = true;
    done(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
  request.on('close', () => {
    if (finished) return;
    finished = true;
    done(Object.assign(new Error('request aborted'), { status: 400 }));
  });
  request.on('error', () => {}); // an aborted request also closes
}

function answer200(
  deps: FastClassifyDeps,
  response: ServerResponse,
  body: Record<string, unknown>,
  started: number,
): void {
  deps.recordHttp(CLASSIFY_ROUTE, 'POST', 200, (performance.now() - started) / 1000);
  send(response, 200, body, {});
}

function answerError(
  deps: FastClassifyDeps,
  response: ServerResponse,
  caught: unknown,
  started: number,
): void {
  const error: HttpError = httpErrorOf(caught, deps.logger, {
    method: 'POST',
    route: CLASSIFY_ROUTE,
  });
  deps.recordHttp(CLASSIFY_ROUTE, 'POST', error.status, (performance.now() - started) / 1000);
  send(response, error.status, errorBody(error), error.headers);
}

/** Writes a JSON answer with the headers Koa would send. */
function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (response.destroyed) return;
  const json = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
  });
  response.end(json);
}
