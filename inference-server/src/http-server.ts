/**
 * The HTTP listener: timeouts a slow client cannot abuse, and a drain for SIGTERM that finishes
 * what was accepted without resetting a connection.
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorBody, HttpError } from './errors.js';

const LINGER_MS = 300;

export interface HttpTimeouts {
  /** Whole request (headers and body) must arrive within this. */
  requestMs: number;
  /** Headers must arrive within this. */
  headersMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export interface DrainingServer {
  server: Server;
  /** Requests accepted and not yet answered. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, answers every request that arrives on an open connection with
   * `Connection: close`, waits for the requests in flight (at most `graceMs`), then closes the
   * connections left. Resolves true when every request finished within the grace period.
   */
  drain(graceMs: number): Promise<boolean>;
}

export function createHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  timeouts: HttpTimeouts,
): DrainingServer {
  const server = createServer(
    {
      requestTimeout: timeouts.requestMs,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      keepAliveTimeout: timeouts.keepAliveMs,
      // How often the two timeouts above are checked (Node's default is 30 s).
      connectionsCheckingInterval: 1000,
    },
    handler,
  );
  server.on('clientError', answerClientError);
  const open = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let draining = false;
  const stopKeepAlive = (response: ServerResponse): void => {
    if (!response.headersSent) response.shouldKeepAlive = false;
  };
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    open.add(response);
    response.once('close', () => open.delete(response));
    if (draining) stopKeepAlive(response);
  });

  const drain = async (graceMs: number): Promise<boolean> => {
    draining = true;
    for (const response of open) stopKeepAlive(response);
    // The net.Server close stops accepting but leaves idle keep-alive connections open (the
    // http one closes them at once, racing a request the client may be sending on one): a
    // request arriving on one now is still answered, with Connection: close.
    NetServer.prototype.close.call(server);
    // Every connection left once no request is open for a short while is idle (a client whose
    // request is on the wire meanwhile still gets its answer); past the grace period, none waits.
    const deadline = Date.now() + graceMs;
    let quietSince: number | undefined;
    while (Date.now() < deadline) {
      if (open.size > 0) quietSince = undefined;
      else {
        quietSince ??= Date.now();
        if (sockets.size === 0 || Date.now() - quietSince >= LINGER_MS) break;
      }
      await sleep(20);
    }
    const finished = open.size === 0;
    server.closeAllConnections();
    return finished;
  };

  return {
    server,
    get inFlight() {
      return open.size;
    },
    drain,
  };
}

/** What a request the HTTP parser refused answers, by the parser's error code. */
function clientErrorAnswer(code: string | undefined): HttpError {
  switch (code) {
    case 'HPE_INVALID_METHOD':
      return new HttpError(
        501,
        'not_implemented',
        'the method is not supported (the API takes GET, POST and PATCH)',
      );
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(431, 'headers_too_large', 'the request headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(408, 'request_timeout', 'the request did not arrive in time');
    default:
      return new HttpError(
        400,
        'bad_request',
        `the request is not valid HTTP/1.1 (${code ?? 'unreadable'})`,
      );
  }
}

/**
 * A request the HTTP parser refused (an unknown method, headers too large, malformed framing, a
 * timeout) gets the JSON error shape too, then the connection closes, as Node's own answer does.
 * Pipelined requests read before it are answered first: the error waits for their answers.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (answering) {
    answering.once('close', () => answerClientError(error, socket));
    return;
  }
  const answer = clientErrorAnswer(error.code);
  const body = JSON.stringify(errorBody(answer));
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
