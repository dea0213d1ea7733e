/** /api/v1/inquiries: submit, classify (one or a batch), read back, status changes, and human feedback. */
import Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../app-deps.js';
import { requireStaff } from '../auth.js';
import { classificationView } from '../classification-view.js';
import { batchItems, classifyAnswer, classifyText } from '../classify-text.js';
import { badRequest, HttpError, invalidInput, notFound, unavailable } from '../errors.js';
import { textProblem, validateInquiry, type FieldProblem } from '../../../lib/inquiry.js';
import { inquiryText } from '../../../lib/model/runtime.js';
import { Classifier } from '../model/classifier.js';
import { combineUrgency, detectUrgency } from '../../../lib/routing/urgency.js';
import { policyLabels } from '../../../lib/routing/policy.js';
import { insertFeedback } from '../../../lib/store/inquiries.js';
import { mayReadInquiry, principalOf } from '../principal.js';
import { IdempotencyConflict, SubmitUseCase } from '../submit.js';
import {
  countOpenInquiries,
  INQUIRY_STATUSES,
  setInquiryStatus,
  type InquiryStatus,
} from '../../../lib/store/status.js';
import { inquiryById, inquiryExists, latestPredictions } from '../../../lib/store/views.js';

const HEAD_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const FEEDBACK_MAX_HEADS = 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The inquiry id of `/:id` routes; a bad one is quoted back shortened (it may be kilobytes long). */
function inquiryId(ctx: RouterContext): string {
  const id = ctx.params.id!;
  if (!UUID.test(id))
    throw badRequest(
      `"${id.length > 64 ? `${id.slice(0, 64)}…` : id}" is not an inquiry id (a UUID)`,
    );
  return id.toLowerCase();
}

function requireJson(ctx: Context): unknown {
  if (!ctx.is('application/json')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      'send the body as JSON with Content-Type: application/json',
    );
  }
  return (ctx.request as { body?: unknown }).body;
}

/** The body of a status change: {"status": "open" | "in_progress" | "resolved", "resolved_by"?}. */
function statusChange(body: unknown): { status: InquiryStatus; resolvedBy: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(
      'send {"status": "in_progress"} or {"status": "resolved", "resolved_by": "…"}',
    );
  const { status, resolved_by: resolvedBy, ...rest } = body as Record<string, unknown>;
  const problems: FieldProblem[] = Object.keys(rest).map((field) => ({
    field,
    message: 'is not a known field (status, resolved_by)',
  }));
  if (!INQUIRY_STATUSES.includes(status as InquiryStatus))
    problems.push({ field: 'status', message: `must be one of ${INQUIRY_STATUSES.join(', ')}` });
  if (status === 'resolved') {
    if (typeof resolvedBy !== 'string' || resolvedBy.trim() === '' || resolvedBy.length > 200)
      problems.push({
        field: 'resolved_by',
        message: 'must say who resolved the inquiry (a non-empty string of at most 200 characters)',
      });
    else if (textProblem(resolvedBy))
      problems.push({ field: 'resolved_by', message: textProblem(resolvedBy)! });
  } else if (resolvedBy !== undefined)
    problems.push({ field: 'resolved_by', message: 'is only given with status resolved' });
  if (problems.length > 0) throw invalidInput(problems);
  return {
    status: status as InquiryStatus,
    resolvedBy: status === 'resolved' ? (resolvedBy as string).trim() : null,
  };
}

export function inquiryRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/inquiries' });

  const classifier = new Classifier(deps.models, deps.metrics);
  const classify = (texts: string[]) => classifier.classify(texts);
  const submissions = deps.pool
    ? new SubmitUseCase({ pool: deps.pool, classifier, policy: deps.policy, metrics: deps.metrics })
    : undefined;
  const pool = deps.pool;
  if (pool) deps.metrics.countOpenInquiriesWith(() => countOpenInquiries(pool));

  // The actions take POST only. Without this, `/:id` would take their names for ids: `GET /submit`
  // a 400 "not an inquiry id", `PUT /submit` a 405 saying to use GET or PATCH.
  router.all(['/submit', '/classify'], async (ctx, next) => {
    if (ctx.method === 'POST') {
      await next();
      return;
    }
    if (ctx.method === 'OPTIONS') {
      ctx.set('allow', 'POST');
      ctx.status = 204;
      return;
    }
    throw new HttpError(
      405,
      'method_not_allowed',
      `${ctx.method} is not supported on ${ctx.path}; use POST`,
      undefined,
      { allow: 'POST' },
    );
  });

  router.post('/classify', async (ctx) => {
    const started = performance.now();
    const text = classifyText(requireJson(ctx));
    ctx.body = await classifyAnswer(
      classifier,
      text,
      ctx.query.include_all_scores === 'true',
      started,
    );
  });

  router.post('/classify/batch', async (ctx) => {
    const started = performance.now();
    const items = batchItems(requireJson(ctx));
    if (items.length === 0) throw invalidInput([{ field: 'texts', message: 'must not be empty' }]);
    if (items.length > deps.limits.maxBatch) {
      throw new HttpError(
        413,
        'payload_too_large',
        `at most ${deps.limits.maxBatch} texts per batch (got ${items.length})`,
      );
    }
    const texts = items.map((item, i) => {
      try {
        return classifyText(item);
      } catch (error) {
        if (error instanceof HttpError)
          throw new HttpError(
            error.status,
            error.code,
            `texts[${i}]: ${error.message}`,
            error.details,
          );
        throw error;
      }
    });
    const { version, results } = await classify(texts);
    const allScores = ctx.query.include_all_scores === 'true';
    ctx.body = {
      results: results.map((result, i) =>
        classificationView(
          result,
          combineUrgency(result.urgency, detectUrgency(texts[i]!)),
          allScores,
        ),
      ),
      model_version: version,
      processing_time_ms: Math.round((performance.now() - started) * 100) / 100,
    };
  });

  router.post('/submit', async (ctx) => {
    const started = performance.now();
    const validated = validateInquiry(requireJson(ctx));
    if (!validated.ok) {
      deps.metrics.submissions.inc({ outcome: 'invalid' });
      throw invalidInput(validated.problems);
    }
    const idempotencyKey = ctx.get('idempotency-key') || undefined;
    if (idempotencyKey && idempotencyKey.length > 200)
      throw badRequest('the Idempotency-Key header must be at most 200 characters');
    if (deps.servingRole === 'shadow') {
      // A mirrored copy: the primary stores it and answers the caller.
      const text = inquiryText(validated.value);
      const { version, results } = await classify([text]);
      deps.metrics.submissions.inc({ outcome: 'shadow' });
      ctx.status = 202;
      ctx.body = {
        shadow: true,
        ...classificationView(
          results[0]!,
          combineUrgency(results[0]!.urgency, detectUrgency(text)),
          false,
        ),
        model_version: version,
      };
      return;
    }
    if (!submissions) {
      deps.metrics.submissions.inc({ outcome: 'unavailable' });
      throw unavailable(
        'this server runs without a database: use /classify, or configure DATABASE_URL',
        60,
      );
    }
    try {
      const result = await submissions.submit({
        input: validated.value,
        started,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        principal: principalOf(ctx.state),
      });
      ctx.status = result.status;
      ctx.body = result.body;
    } catch (error) {
      if (error instanceof IdempotencyConflict)
        throw new HttpError(422, 'idempotency_conflict', error.message);
      throw error;
    }
  });

  router.get('/:id', async (ctx) => {
    const id = inquiryId(ctx);
    if (!deps.pool) throw unavailable('this server runs without a database', 60);
    const found = await inquiryById(deps.pool, id);
    // Another client's inquiry is answered as a missing one: its existence is not revealed.
    if (!found || !mayReadInquiry(ctx.state, found.submitter)) throw notFound(`no inquiry ${id}`);
    ctx.body = found.inquiry;
  });

  router.patch('/:id', async (ctx) => {
    requireStaff(ctx);
    const id = inquiryId(ctx);
    const { status, resolvedBy } = statusChange(requireJson(ctx));
    if (!deps.pool) throw unavailable('this server runs without a database', 60);
    const change = await setInquiryStatus(deps.pool, id, status, resolvedBy);
    if (!change) {
      if (!(await inquiryExists(deps.pool, id))) throw notFound(`no inquiry ${id}`);
      throw new HttpError(
        409,
        'not_routed',
        `inquiry ${id} has not been classified and routed yet; its status can change once it is`,
      );
    }
    if (change.status !== change.previousStatus) {
      deps.metrics.statusChanges.inc({ status: change.status });
      if (change.status === 'resolved' && change.resolvedAt)
        deps.metrics.timeToResolution.observe(
          (change.resolvedAt.getTime() - change.routedAt.getTime()) / 1000,
        );
    }
    ctx.body = {
      id,
      status: change.status,
      previous_status: change.previousStatus,
      consultant: change.consultant,
      resolved_by: change.resolvedBy,
      resolved_at: change.resolvedAt?.toISOString() ?? null,
      status_changed_at: change.changedAt.toISOString(),
    };
  });

  /**
   * The labels feedback may give `head`: the serving model's, and those the routing policy names
   * for it (a category it routes, an urgency or sentiment it scores), so that a new class can be
   * taught by feedback once the policy routes it. Undefined for a head the model lacks
   * (department, …): any label.
   */
  const headLabels = (head: string): readonly string[] | undefined => {
    const served = deps.models.runtime?.heads.find((spec) => spec.name === head)?.labels;
    return served && [...new Set([...served, ...policyLabels(deps.policy.current, head)])];
  };
  const knownLabel = (head: string, label: string): boolean =>
    headLabels(head)?.includes(label) ?? true;

  router.post('/:id/feedback', async (ctx) => {
    // Feedback is trained on: only those who handle inquiries give it.
    requireStaff(ctx);
    const id = inquiryId(ctx);
    const body = requireJson(ctx);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('send {"category"?, "sentiment"?, "urgency"?, "department"?, "reviewer"?}');
    }
    const record = body as Record<string, unknown>;
    const problems: FieldProblem[] = [];
    const labels: Record<string, string> = {};
    const reviewer = record.reviewer;
    const heads = Object.keys(record).filter((field) => field !== 'reviewer');
    if (heads.length > FEEDBACK_MAX_HEADS)
      throw invalidInput([
        {
          field: '(body)',
          message: `give at most ${FEEDBACK_MAX_HEADS} corrected labels (got ${heads.length})`,
        },
      ]);
    for (const field of heads) {
      const value = record[field];
      if (!HEAD_NAME.test(field)) {
        problems.push({
          field: field.slice(0, 64),
          message: 'is not a head name (lower-case letters, digits and _, at most 64)',
        });
      } else if (typeof value !== 'string' || value.trim() === '' || value.length > 100) {
        problems.push({ field, message: 'must be a non-empty label of at most 100 characters' });
      } else if (textProblem(value)) {
        problems.push({ field, message: textProblem(value)! });
      } else if (!knownLabel(field, value.trim())) {
        // A typo would be counted against the model's online accuracy and trained on as a class.
        problems.push({ field, message: `must be one of ${headLabels(field)!.join(', ')}` });
      } else labels[field] = value.trim();
    }
    if (reviewer !== undefined && (typeof reviewer !== 'string' || reviewer.length > 200)) {
      problems.push({ field: 'reviewer', message: 'must be a string of at most 200 characters' });
    } else if (typeof reviewer === 'string' && textProblem(reviewer)) {
      problems.push({ field: 'reviewer', message: textProblem(reviewer)! });
    }
    if (Object.keys(labels).length === 0 && problems.length === 0) {
      problems.push({
        field: '(body)',
        message: 'give at least one corrected label, e.g. {"category": "billing"}',
      });
    }
    if (problems.length > 0) throw invalidInput(problems);
    if (deps.servingRole === 'shadow') {
      ctx.status = 202;
      ctx.body = { shadow: true, stored: false };
      return;
    }
    if (!deps.pool) throw unavailable('this server runs without a database', 60);
    const predictions = await latestPredictions(deps.pool, id);
    if (!(await inquiryExists(deps.pool, id))) throw notFound(`no inquiry ${id}`);
    await insertFeedback(
      deps.pool,
      Object.entries(labels).map(([head, label]) => ({
        inquiryId: id,
        head,
        label,
        reviewer: (reviewer as string | undefined) ?? null,
      })),
    );
    const agreement: Record<string, boolean | null> = {};
    for (const [head, label] of Object.entries(labels)) {
      const predicted = predictions.get(head);
      agreement[head] = predicted ? predicted.label === label : null;
      if (predicted)
        deps.metrics.feedback.inc({
          head,
          model_version: predicted.modelVersion,
          agreement: predicted.label === label ? 'agree' : 'disagree',
        });
    }
    ctx.status = 201;
    ctx.body = { inquiry_id: id, stored: labels, agrees_with_prediction: agreement };
  });

  return router;
}
