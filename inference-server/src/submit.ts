/**
 * Storing a submitted inquiry with its classification and routing in one transaction, made
 * idempotent by an optional key: a retried submit gets the first answer, and nothing is stored
 * twice. A key reused with a different request is refused.
 */
import type pg from 'pg';
import { contentHash, type InquiryInput } from '../../lib/inquiry.js';
import type { Classification } from '../../lib/model/runtime.js';
import { ConsultantAssigner } from '../../lib/routing/engine.js';
import type { Policy } from '../../lib/routing/policy.js';
import { routeInquiry } from '../../lib/routing/route-inquiry.js';
import type { RoutingDecision } from '../../lib/routing/engine.js';
import type { Urgency } from '../../lib/routing/urgency.js';
import { consultantLoads, saveClassifications } from '../../lib/store/classifications.js';
import { insertInquiries } from '../../lib/store/inquiries.js';

export interface SubmitResult {
  status: 201 | 200;
  body: Record<string, unknown>;
  /** stored: new; duplicate: same content already stored; replayed: same idempotency key. */
  outcome: 'stored' | 'duplicate' | 'replayed';
  decision?: RoutingDecision;
  urgency?: Urgency;
}

export class IdempotencyConflict extends Error {
  override name = 'IdempotencyConflict';
}

const KEY_LOCK_NAMESPACE = 41_207;

export async function submitInquiry(
  pool: pg.Pool,
  request: {
    input: InquiryInput;
    classification: Classification;
    modelVersion: string;
    policy: Policy;
    idempotencyKey?: string;
    requestHash: string;
    describe: (
      id: string,
      urgency: Urgency,
      decision: RoutingDecision,
      receivedAt: Date,
    ) => Record<string, unknown>;
  },
): Promise<SubmitResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (request.idempotencyKey) {
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        KEY_LOCK_NAMESPACE,
        request.idempotencyKey,
      ]);
      const { rows } = await client.query<{
        request_hash: string;
        status: number;
        response: Record<string, unknown>;
      }>('SELECT request_hash, status, response FROM idempotency_keys WHERE key = $1', [
        request.idempotencyKey,
      ]);
      if (rows[0]) {
        await client.query('COMMIT');
        if (rows[0].request_hash !== request.requestHash) {
          throw new IdempotencyConflict(
            'this Idempotency-Key was used with a different request; use a new key for a new inquiry',
          );
        }
        return { status: rows[0].status as 201 | 200, body: rows[0].response, outcome: 'replayed' };
      }
    }
    const receivedAt = request.input.received_at ?? new Date();
    const input = { ...request.input, received_at: receivedAt };
    const { stored } = await insertInquiries(client, [input], 'api');
    let result: SubmitResult;
    const id = stored.get(contentHash(input));
    if (id === undefined) {
      const { rows } = await client.query<{ id: string }>(
        'SELECT id FROM inquiries WHERE content_hash = $1',
        [contentHash(input)],
      );
      result = {
        status: 200,
        body: {
          id: rows[0]!.id,
          duplicate: true,
          message: 'this inquiry was already submitted; nothing new was stored',
        },
        outcome: 'duplicate',
      };
    } else {
      const loads = await consultantLoads(client, [...request.policy.pools.values()].flat());
      const { urgency, decision } = routeInquiry(
        input,
        request.classification,
        request.policy,
        new ConsultantAssigner(loads).assign,
      );
      await saveClassifications(client, request.modelVersion, [
        { inquiryId: id, classification: request.classification, urgency, decision },
      ]);
      result = {
        status: 201,
        body: request.describe(id, urgency, decision, receivedAt),
        outcome: 'stored',
        urgency,
        decision,
      };
    }
    if (request.idempotencyKey) {
      await client.query(
        'INSERT INTO idempotency_keys (key, request_hash, status, response) VALUES ($1, $2, $3, $4)',
        [request.idempotencyKey, request.requestHash, result.status, JSON.stringify(result.body)],
      );
    }
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
