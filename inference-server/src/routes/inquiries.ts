/** /api/v1/inquiries: submit, classify (one or a batch), read back, and human feedback. */
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppDeps } from '../app-deps.js';
import { classificationView, routingView } from '../classification-view.js';
import { badRequest, HttpError, invalidInput, notFound, unavailable } from '../errors.js';
import { LIMITS, validateInquiry, type FieldProblem } from '../../../lib/inquiry.js';
import { inquiryText, type Classification } from '../../../lib/model/runtime.js';
import { combineUrgency, detectUrgency } from '../../../lib/routing/urgency.js';
import { insertFeedback } from '../../../lib/store/inquiries.js';
import { IdempotencyConflict, submitInquiry } from '../submit.js';
import { inquiryById, inquiryExists, latestPredictions } from '../../../lib/store/views.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** The text of a classify request: a bare JSON string, or {subject?, body}. */
function classifyText(body: unknown): string {
  const problems: FieldProblem[] = [];
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { subject, body: message } = body as Record<string, unknown>;
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
  if (!text || text.trim() === '')
    throw invalidInput([{ field: 'body', message: 'must not be empty' }]);
  if (text.length > LIMITS.bodyChars + LIMITS.subjectChars) {
    throw new HttpError(
      413,
      'payload_too_large',
      `the text must be at most ${LIMITS.bodyChars} characters`,
    );
  }
  if (!text.isWellFormed() || text.includes('\u0000'))
    throw invalidInput([{ field: 'body', message: 'is not valid Unicode text' }]);
  return text;
}

export function inquiryRoutes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/v1/inquiries' });

  const classify = async (
    texts: string[],
  ): Promise<{ version: string; results: Classification[] }> => {
    if (!deps.models.ready) throw unavailable('the model is still loading; retry shortly');
    const started = performance.now();
    const out = await deps.models.classify(texts);
    deps.metrics.inferenceDuration.observe(
      { model_version: out.version },
      (performance.now() - started) / 1000,
    );
    for (const result of out.results) {
      for (const [head, prediction] of Object.entries(result)) {
        deps.metrics.inferences.inc({ model_version: out.version, head });
        deps.metrics.confidence.observe(
          { head, model_version: out.version },
          prediction.confidence,
        );
        deps.metrics.predictions.inc({ head, label: prediction.label });
      }
    }
    return out;
  };

  router.post('/classify', async (ctx) => {
    const started = performance.now();
    const text = classifyText(requireJson(ctx));
    const { version, results } = await classify([text]);
    const urgency = combineUrgency(results[0]!.urgency, detectUrgency(text));
    ctx.body = {
      ...classificationView(results[0]!, urgency, ctx.query.include_all_scores === 'true'),
      model_version: version,
      processing_time_ms: Math.round((performance.now() - started) * 100) / 100,
    };
  });

  router.post('/classify/batch', async (ctx) => {
    const started = performance.now();
    const body = requireJson(ctx);
    const items = Array.isArray(body) ? body : (body as { texts?: unknown } | null)?.texts;
    if (!Array.isArray(items))
      throw badRequest(
        'send {"texts": [...]} (strings or {subject?, body} objects), or a JSON array',
      );
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
    if (!deps.pool) {
      deps.metrics.submissions.inc({ outcome: 'unavailable' });
      throw unavailable(
        'this server runs without a database: use /classify, or configure DATABASE_URL',
        60,
      );
    }
    const input = validated.value;
    const { version, results } = await classify([inquiryText(input)]);
    const requestHash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    let result;
    try {
      result = await submitInquiry(deps.pool, {
        input,
        classification: results[0]!,
        modelVersion: version,
        policy: deps.policy.current,
        requestHash,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        describe: (id, urgency, decision, receivedAt) => ({
          id,
          ...classificationView(results[0]!, urgency, false),
          routing: routingView(decision),
          model_version: version,
          received_at: receivedAt.toISOString(),
          processing_time_ms: Math.round((performance.now() - started) * 100) / 100,
        }),
      });
    } catch (error) {
      if (error instanceof IdempotencyConflict)
        throw new HttpError(422, 'idempotency_conflict', error.message);
      deps.metrics.submissions.inc({ outcome: 'unavailable' });
      throw error;
    }
    deps.metrics.submissions.inc({ outcome: result.outcome });
    if (result.decision) {
      deps.metrics.routingDecisions.inc({ department: result.decision.department });
      if (result.decision.rule && result.decision.escalated)
        deps.metrics.escalations.inc({ rule: result.decision.rule });
      if (result.decision.triaged) deps.metrics.triaged.inc();
      deps.metrics.priorityScore.observe(result.decision.priorityScore);
      deps.metrics.processingDuration.observe((performance.now() - started) / 1000);
    }
    ctx.status = result.status;
    ctx.body = result.body;
  });

  router.get('/:id', async (ctx) => {
    const id = ctx.params.id!;
    if (!UUID.test(id)) throw badRequest(`"${id}" is not an inquiry id (a UUID)`);
    if (!deps.pool) throw unavailable('this server runs without a database', 60);
    const inquiry = await inquiryById(deps.pool, id);
    if (!inquiry) throw notFound(`no inquiry ${id}`);
    ctx.body = inquiry;
  });

  router.post('/:id/feedback', async (ctx) => {
    const id = ctx.params.id!;
    if (!UUID.test(id)) throw badRequest(`"${id}" is not an inquiry id (a UUID)`);
    const body = requireJson(ctx);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('send {"category"?, "sentiment"?, "urgency"?, "department"?, "reviewer"?}');
    }
    const record = body as Record<string, unknown>;
    const problems: FieldProblem[] = [];
    const labels: Record<string, string> = {};
    const reviewer = record.reviewer;
    for (const [field, value] of Object.entries(record)) {
      if (field === 'reviewer') continue;
      if (typeof value !== 'string' || value.trim() === '' || value.length > 100) {
        problems.push({ field, message: 'must be a non-empty label of at most 100 characters' });
      } else labels[field] = value.trim();
    }
    if (reviewer !== undefined && (typeof reviewer !== 'string' || reviewer.length > 200)) {
      problems.push({ field: 'reviewer', message: 'must be a string of at most 200 characters' });
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
