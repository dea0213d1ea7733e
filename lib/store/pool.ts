/**
 * PostgreSQL connections: one pool per process, configured once, that survives every way a
 * connection can die (the server killed, its session terminated, a fast shutdown, a network cut)
 * and reconnects on the next query once the server is back.
 */
import pg from 'pg';

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  /**
   * Called when a connection dies outside a query (idle in the pool or checked out between
   * queries). The error carries the driver's message and code, never query text or values.
   */
  onConnectionLost?: (error: Error) => void;
}

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'inquiry-platform',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
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
