/** PostgreSQL connections: one pool per process, configured once. */
import pg from 'pg';

export interface PoolOptions {
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
}

export function createPool(connectionString: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    application_name: options.applicationName ?? 'inquiry-platform',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}
