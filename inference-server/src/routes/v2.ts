/**
 * The Open Inference Protocol (KServe V2) over the same model: health, model metadata, and
 * /infer with a BYTES input of texts; each head answers as a BYTES output of labels and an FP32
 * output `<head>_confidence`. KServe-style clients and gateways work unchanged.
 */
import Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';
import { Classifier } from '../model/classifier.js';
import { badRequest, HttpError, notFound, unavailable } from '../errors.js';
import { classifyTextProblem } from '../../../lib/inquiry.js';

interface InferRequest {
  id?: unknown;
  inputs?: { name?: unknown; datatype?: unknown; shape?: unknown; data?: unknown }[];
}

export function v2Routes(deps: AppDeps): Router {
  const router = new Router({ prefix: '/v2' });
  const classifier = new Classifier(deps.models, deps.metrics);
  const requireModel = (name: string | undefined): void => {
    if (name !== deps.modelName)
      throw notFound(`no model "${name}"; this server serves "${deps.modelName}"`);
    if (!deps.models.ready) throw unavailable('the model is still loading');
  };

  router.get('/', (ctx) => {
    ctx.body = { name: 'inquiry-platform', version: '0.1.0', extensions: [] };
  });
  router.get('/health/live', (ctx) => {
    ctx.body = { live: true };
  });
  router.get('/health/ready', (ctx) => {
    ctx.status = deps.models.ready ? 200 : 503;
    ctx.body = { ready: deps.models.ready };
  });
  router.get('/models/:name', (ctx) => {
    requireModel(ctx.params.name);
    const runtime = deps.models.runtime!;
    ctx.body = {
      name: deps.modelName,
      versions: [runtime.version],
      platform: 'onnxruntime',
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
      outputs: runtime.heads.flatMap((head) => [
        { name: head.name, datatype: 'BYTES', shape: [-1] },
        { name: `${head.name}_confidence`, datatype: 'FP32', shape: [-1] },
      ]),
    };
  });
  router.get('/models/:name/ready', (ctx) => {
    requireModel(ctx.params.name);
    ctx.body = { name: deps.modelName, ready: true };
  });
  router.post('/models/:name/infer', async (ctx) => {
    requireModel(ctx.params.name);
    const request = (ctx.request as { body?: unknown }).body as InferRequest | undefined;
    const input = request?.inputs?.[0];
    if (!input || request?.inputs?.length !== 1)
      throw badRequest(
        'send exactly one input: {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [n], "data": [...]}]}',
      );
    if (input.datatype !== 'BYTES')
      throw badRequest(`input datatype must be BYTES, not ${String(input.datatype)}`);
    const data = Array.isArray(input.data) ? input.data.flat(3) : undefined;
    if (
      !data ||
      data.length === 0 ||
      data.some((text) => typeof text !== 'string' || text.trim() === '')
    ) {
      throw badRequest('input data must be a non-empty array of non-empty strings');
    }
    if (data.length > deps.limits.maxBatch)
      throw new HttpError(
        413,
        'payload_too_large',
        `at most ${deps.limits.maxBatch} texts per request`,
      );
    const shape = input.shape;
    if (
      !Array.isArray(shape) ||
      !shape.every((n) => Number.isInteger(n) && (n as number) >= 0) ||
      shape.reduce((product: number, n) => product * (n as number), 1) !== data.length
    )
      throw badRequest(
        `input shape must be an array of whole numbers whose product is the number of texts (${data.length}), e.g. [${data.length}]`,
      );
    (data as string[]).forEach((text, i) => {
      const problem = classifyTextProblem(text);
      if (problem?.tooLong)
        throw new HttpError(413, 'payload_too_large', `input data[${i}] ${problem.message}`);
      if (problem) throw badRequest(`input data[${i}] ${problem.message}`);
    });
    const { version, results } = await classifier.classify(data as string[]);
    const heads = deps.models.runtime!.heads;
    ctx.body = {
      model_name: deps.modelName,
      model_version: version,
      ...(typeof request.id === 'string' ? { id: request.id } : {}),
      outputs: heads.flatMap((head) => [
        {
          name: head.name,
          datatype: 'BYTES',
          shape: [data.length],
          data: results.map((r) => r[head.name]!.label),
        },
        {
          name: `${head.name}_confidence`,
          datatype: 'FP32',
          shape: [data.length],
          data: results.map((r) => r[head.name]!.confidence),
        },
      ]),
    };
  });
  return router;
}
