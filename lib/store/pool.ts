/**
 * PostgreSQL connections: one pool per process, configured once, that survives every way a
 * connection can die (the server killed, its session terminated, a fast shutdown, a network cut)
 * and reconnects on the next query once the server is back.
 */
import pg from 'pg';

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  /**
   * The server cancels a statement running longer (default 30 s). A server that does not answer
   * at all (paused, a network black hole) cannot: the client gives up 2 s later with
   * `Query read timeout` (`isUnansweredQuery`) and the pool discards that connection.
   */
  statementTimeoutMs?: number;
  /**
   * Called when a connection dies outside a query (idle in the pool or checked out between
   * queries). The error carries the driver's message and code, never query text or values.
   */
  onConnectionLost?: (error: Error) => void;
}

/** Margin of the client's own timeout over the server's statement timeout. */
const UNANSWERED_MARGIN_MS = 2_000;

/** True for a query the server never answered within its timeout (the client gave up on it). */
export function isUnansweredQuery(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

/**
 * A query the client gives up on after `timeoutMs` whatever the pool's bound: a readiness check
 * or a metrics scrape says "down" in time instead of hanging with the server.
 */
export function boundedQuery(text: string, timeoutMs: number): pg.QueryConfig {
  // pg reads query_timeout from the query's config too; its types only list it on the client's.
  return { text, query_timeout: timeoutMs } as pg.QueryConfig;
}

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const statementTimeout = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'inquiry-platform',
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout + UNANSWERED_MARGIN_MS,
  });
  // An idle client losing its server: the pool drops it, the next query reconnects (the
  // client's own listener below reports it).
  pool.on('error', () => {});
  // A checked-out client emits `error` when its connection dies between queries; the pool only
  // listens while the client is idle, so without a listener of its own for its whole life the
  // event would be unhandled and end the process. The client is then not queryable, and the pool
  // discards it on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onConnectionLost?.(error));
  });
  return pool;
}
