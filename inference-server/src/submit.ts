/**
 * The submit use case: classify → one transaction (idempotency, dedupe, consultant loads,
 * route, save) → the answer. Concurrent submits share the transaction (group commit): a 201
 * is sent only after the COMMIT that made its rows durable. An optional idempotency key makes
 * a retry get the first answer, and nothing is stored twice; a key reused with a different
 * request is refused.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { contentHash, type InquiryInput } from '../../lib/inquiry.js';
import { inquiryText, type Classification } from '../../lib/model/runtime.js';
import { ConsultantAssigner, type RoutingDecision } from '../../lib/routing/engine.js';
import type { Policy } from '../../lib/routing/policy.js';
import { routeInquiry } from '../../lib/routing/route-inquiry.js';
import { isUnansweredQuery } from '../../lib/store/pool.js';
import type { Urgency } from '../../lib/routing/urgency.js';
import type { ClassifiedInquiry } from '../../lib/store/classifications.js';
import {
  commitSubmitBatch,
  openSubmitBatch,
  type StoredAnswer,
} from '../../lib/store/submissions.js';
import { classificationView, routingView } from './classification-view.js';
import { unavailable } from './errors.js';
import { GroupCommitter, isRequestScopedDatabaseError } from './group-commit.js';
import type { Metrics } from './metrics.js';
import type { Classifier } from './model/classifier.js';
import { principalHash, scopedTo } from './principal.js';

export interface SubmitRequest {
  input: InquiryInput;
  idempotencyKey?: string;
  /**
   * The authenticated client (`ctx.state.client`) when authentication is on: its keys and its
   * content are its own, and its inquiries are stored with its hash.
   */
  principal?: string;
  /** `performance.now()` when the request arrived (the answer's processing_time_ms). */
  started: number;
}

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
  constructor() {
    super(
      'this Idempotency-Key was used with a different request; use a new key for a new inquiry',
    );
  }
}

/** A classified submission waiting for its transaction. */
interface Pending {
  input: InquiryInput & { received_at: Date };
  /** The content hash, in the submitter's space. */
  hash: string;
  /** The principal's hash with authentication on, else null. */
  submitter: string | null;
  /** With an Idempotency-Key: the key and the hash of the request it came with. */
  idempotency: { key: string; requestHash: string } | undefined;
  classification: Classification;
  modelVersion: string;
  started: number;
}

export interface SubmitDeps {
  pool: pg.Pool;
  classifier: Classifier;
  policy: { readonly current: Policy };
  metrics: Metrics;
  /** Most submissions per transaction. */
  maxBatch?: number;
  /**
   * Transactions at once (default 1). Each locks the load rows of the pools its batch routes to
   * until its commit is flushed, so a second one mostly waits on the first's locks, and takes a
   * smaller batch with it.
   */
  maxInFlight?: number;
  /** Most submissions waiting for a transaction; more are refused with 503. */
  maxWaiting?: number;
}

export class SubmitUseCase {
  private readonly committer: GroupCommitter<Pending, SubmitResult>;

  constructor(private readonly deps: SubmitDeps) {
    this.committer = new GroupCommitter((batch) => this.commit(batch), {
      maxBatch: deps.maxBatch ?? 256,
      maxInFlight: deps.maxInFlight ?? 1,
      isolate: isRequestScopedDatabaseError,
    });
  }

  /** Submissions waiting for a transaction (not counting those being committed). */
  get waiting(): number {
    return this.committer.waiting;
  }

  /** Classifies, routes and stores one inquiry; resolves once it is durable. */
  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const { metrics } = this.deps;
    const { version, results } = await this.deps.classifier.classify([inquiryText(request.input)]);
    // The queue is bounded: a database slower than the arrivals answers 503, not growing memory.
    if (this.committer.waiting >= (this.deps.maxWaiting ?? 4096)) {
      metrics.submissions.inc({ outcome: 'unavailable' });
      throw unavailable('too many submissions are waiting for the database; retry shortly', 1);
    }
    const input = { ...request.input, received_at: request.input.received_at ?? new Date() };
    const submitter = request.principal === undefined ? null : principalHash(request.principal);
    let result: SubmitResult;
    try {
      result = await this.committer.submit({
        input,
        // Each principal's content and keys are its own: a duplicate or a replay never answers
        // with another client's inquiry.
        hash: scopedTo(contentHash(input), submitter),
        submitter,
        idempotency:
          request.idempotencyKey === undefined
            ? undefined
            : {
                key: scopedTo(request.idempotencyKey, submitter),
                requestHash: createHash('sha256')
                  .update(JSON.stringify(request.input))
                  .digest('hex'),
              },
        classification: results[0]!,
        modelVersion: version,
        started: request.started,
      });
    } catch (error) {
      if (!(error instanceof IdempotencyConflict))
        metrics.submissions.inc({ outcome: 'unavailable' });
      throw error;
    }
    metrics.submissions.inc({ outcome: result.outcome });
    const { decision } = result;
    if (decision) {
      metrics.routingDecisions.inc({ department: decision.department });
      if (decision.rule && decision.escalated) metrics.escalations.inc({ rule: decision.rule });
      if (decision.triaged) metrics.triaged.inc();
      metrics.priorityScore.observe(decision.priorityScore);
      metrics.processingDuration.observe((performance.now() - request.started) / 1000);
    }
    return result;
  }

  private async commit(batch: Pending[]): Promise<(SubmitResult | Error)[]> {
    const client = await this.deps.pool.connect();
    let broken: Error | undefined;
    try {
      return await storeBatch(client, this.deps.policy.current, batch);
    } catch (error) {
      // A statement the server never answered leaves the connection mid-query: a ROLLBACK would
      // wait behind it. The connection is dropped instead; the session's end rolls back.
      if (isUnansweredQuery(error)) broken = error as Error;
      else
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

/** The consultants of the pools `routed` decisions name, sorted. */
function poolMembers(policy: Policy, routed: readonly { decision: RoutingDecision }[]): string[] {
  const pools = new Set(routed.flatMap(({ decision }) => decision.consultantPool ?? []));
  return [...new Set([...pools].flatMap((pool) => policy.pools.get(pool) ?? []))].sort();
}

function replayOf(answer: StoredAnswer, requestHash: string): SubmitResult | Error {
  if (answer.requestHash !== requestHash) return new IdempotencyConflict();
  return { status: answer.status as 201 | 200, body: answer.response, outcome: 'replayed' };
}

/**
 * The decisions of one transaction, in the order a one-by-one run would make them: a key
 * answered before (or earlier in the batch) replays; content stored before (or earlier in the
 * batch) is a duplicate; the rest is routed with loads read under lock and stored. Opens and
 * commits the transaction (four round trips whatever the batch's size).
 */
async function storeBatch(
  client: pg.PoolClient,
  policy: Policy,
  batch: Pending[],
): Promise<(SubmitResult | Error)[]> {
  const outcomes = new Array<SubmitResult | Error | undefined>(batch.length);
  // A key's first use in the batch goes to the database; its later uses replay that one's answer.
  const keyOwners = new Map<string, number>();
  const sameKeyLater: [index: number, owner: number][] = [];
  const sent: number[] = [];
  batch.forEach((item, i) => {
    const key = item.idempotency?.key;
    if (key !== undefined) {
      const owner = keyOwners.get(key);
      if (owner !== undefined) return void sameKeyLater.push([i, owner]);
      keyOwners.set(key, i);
    }
    sent.push(i);
  });
  // Routing needs nothing from the database but the loads: each decision is made now and its
  // consultant chosen once the loads of the pools it names are read under lock.
  const routed = new Map(
    sent.map((i) => [
      i,
      routeInquiry(batch[i]!.input, batch[i]!.classification, policy, () => null),
    ]),
  );
  const opened = await openSubmitBatch(
    client,
    sent.map((i) => ({
      inquiry: batch[i]!.input,
      hash: batch[i]!.hash,
      submitter: batch[i]!.submitter,
      key: batch[i]!.idempotency?.key,
    })),
    poolMembers(policy, [...routed.values()]),
  );

  // As the database did: submissions whose key has no answer are fresh, and the first of each
  // content hash among them was offered for storing.
  const fresh: number[] = [];
  for (const i of sent) {
    const idempotency = batch[i]!.idempotency;
    const answer = idempotency && opened.answers.get(idempotency.key);
    if (answer) {
      outcomes[i] = replayOf(answer, idempotency.requestHash);
      keyOwners.delete(idempotency.key);
    } else fresh.push(i);
  }
  const firstByHash = new Map<string, number>();
  for (const i of fresh) if (!firstByHash.has(batch[i]!.hash)) firstByHash.set(batch[i]!.hash, i);

  const assigner = new ConsultantAssigner(opened.loads);
  const classified: (ClassifiedInquiry & { modelVersion: string })[] = [];
  for (const i of fresh) {
    const item = batch[i]!;
    const storedId = opened.stored.get(item.hash);
    if (storedId !== undefined && firstByHash.get(item.hash) === i) {
      const { urgency, decision: unassigned } = routed.get(i)!;
      const pool = unassigned.consultantPool;
      const decision = {
        ...unassigned,
        consultant: pool ? assigner.assign(pool, policy.pools.get(pool) ?? []) : null,
      };
      classified.push({
        inquiryId: storedId,
        classification: item.classification,
        urgency,
        decision,
        modelVersion: item.modelVersion,
      });
      outcomes[i] = {
        status: 201,
        body: {
          id: storedId,
          ...classificationView(item.classification, urgency, false),
          routing: routingView(decision),
          model_version: item.modelVersion,
          received_at: item.input.received_at.toISOString(),
          processing_time_ms: Math.round((performance.now() - item.started) * 100) / 100,
        },
        outcome: 'stored',
        urgency,
        decision,
      };
    } else {
      const id = storedId ?? opened.existing.get(item.hash);
      if (id === undefined)
        throw new Error(`submit: inquiry ${item.hash} was neither stored nor found`);
      outcomes[i] = {
        status: 200,
        body: {
          id,
          duplicate: true,
          message: 'this inquiry was already submitted; nothing new was stored',
        },
        outcome: 'duplicate',
      };
    }
  }
  await commitSubmitBatch(
    client,
    classified,
    [...keyOwners].map(([key, i]) => {
      const result = outcomes[i] as SubmitResult;
      return {
        key,
        requestHash: batch[i]!.idempotency!.requestHash,
        status: result.status,
        response: result.body,
      };
    }),
  );
  for (const [i, owner] of sameKeyLater) {
    const requestHash = batch[i]!.idempotency!.requestHash;
    const answered = opened.answers.get(batch[i]!.idempotency!.key);
    if (answered) {
      outcomes[i] = replayOf(answered, requestHash);
      continue;
    }
    const first = outcomes[owner] as SubmitResult;
    outcomes[i] = replayOf(
      {
        requestHash: batch[owner]!.idempotency!.requestHash,
        status: first.status,
        response: first.body,
      },
      requestHash,
    );
  }
  return outcomes as (SubmitResult | Error)[];
}
