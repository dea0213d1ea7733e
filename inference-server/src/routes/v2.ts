/**
 * The Open Inference Protocol (KServe V2) over the same model: health, model metadata, and
 * /infer with a BYTES input of texts; each head answers as a BYTES output of labels and an FP32
 * output `<head>_confidence`. KServe-style clients and gateways work unchanged.
 */
import Router from '@koa/router';
import type { AppDeps } from '../app-deps.js';
import { Classifier } from '../model/classifier.js';
import { badRequest, HttpError, invalidInput, notFound, unavailable } from '../errors.js';
import {
  classifyTextProblem,
  unknownFieldProblems,
  type FieldProblem,
} from '../../../lib/inquiry.js';

/** The model's single input. */
export const INPUT_NAME = 'text';

interface ModelOutput {
  name: string;
  datatype: 'BYTES' | 'FP32';
  head: string;
  field: 'label' | 'confidence';
}

/** The outputs of a model with these heads: per head, its labels and `<head>_confidence`. */
export function modelOutputs(heads: readonly { name: string }[]): ModelOutput[] {
  return heads.flatMap((head) => [
    { name: head.name, datatype: 'BYTES', head: head.name, field: 'label' } as const,
    {
      name: `${head.name}_confidence`,
      datatype: 'FP32',
      head: head.name,
      field: 'confidence',
    } as const,
  ]);
}

/** The fields the protocol defines: of the request, of an input tensor, of a requested output. */
const REQUEST_FIELDS = ['id', 'parameters', 'inputs', 'outputs'];
const TENSOR_FIELDS = ['name', 'shape', 'datatype', 'parameters', 'data'];
const OUTPUT_FIELDS = ['name', 'parameters'];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fields the protocol does not define, and `parameters` that are not an object, where given. */
function fieldProblems(record: unknown, known: readonly string[], prefix: string): FieldProblem[] {
  if (!isRecord(record)) return [];
  const problems = unknownFieldProblems(record, known, prefix);
  if (record.parameters !== undefined && !isRecord(record.parameters))
    problems.push({ field: `${prefix}parameters`, message: 'must be an object' });
  return problems;
}

/** Names as a client wrote them, JSON-quoted and each cut at 64 characters. */
const quoted = (names: readonly unknown[]): string =>
  names.map((name) => (JSON.stringify(name) ?? String(name)).slice(0, 66)).join(', ');

/**
 * The texts of an infer request and the outputs it asks for (all when it names none), or a 400
 * naming what is wrong: a name the model does not have, a datatype or a shape that does not
 * match the data, or the fields the protocol does not define (a misspelt `outputs`
 * would otherwise answer every output without a word). Bounds on the texts themselves are the
 * route's.
 */
export function readInferRequest(
  request: unknown,
  available: readonly string[],
): { id?: string; data: string[]; outputs: string[] } {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw badRequest(
      'send {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [n], "data": [...]}]}',
    );
  const { id, inputs, outputs } = request as { id?: unknown; inputs?: unknown; outputs?: unknown };
  const problems = [
    ...fieldProblems(request, REQUEST_FIELDS, ''),
    ...(Array.isArray(inputs)
      ? inputs.flatMap((input, i) => fieldProblems(input, TENSOR_FIELDS, `inputs[${i}].`))
      : []),
    ...(Array.isArray(outputs)
      ? outputs.flatMap((output, i) => fieldProblems(output, OUTPUT_FIELDS, `outputs[${i}].`))
      : []),
  ];
  if (problems.length > 0) {
    // A 400 as every other error of the protocol's routes (its clients expect no 422).
    const { code, message, details } = invalidInput(problems);
    throw new HttpError(400, code, message, details);
  }
  if (id !== undefined && typeof id !== 'string') throw badRequest('id must be a string');
  if (!Array.isArray(inputs) || inputs.length !== 1)
    throw badRequest(
      `send exactly one input: {"inputs": [{"name": "${INPUT_NAME}", "datatype": "BYTES", "shape": [n], "data": [...]}]}`,
    );
  const input = (inputs[0] ?? {}) as {
    name?: unknown;
    datatype?: unknown;
    shape?: unknown;
    data?: unknown;
  };
  if (input.name !== INPUT_NAME)
    throw badRequest(
      `${input.name === undefined ? 'the input has no name' : `unknown input ${quoted([input.name])}`}: this model has one input, "${INPUT_NAME}"`,
      { availableInputs: [INPUT_NAME] },
    );
  if (input.datatype !== 'BYTES')
    throw badRequest(
      `input "${INPUT_NAME}" has datatype BYTES (texts), not ${quoted([input.datatype])}`,
    );
  const data = Array.isArray(input.data) ? (input.data as unknown[]).flat(3) : undefined;
  if (
    !data ||
    data.length === 0 ||
    data.some((text) => typeof text !== 'string' || text.trim() === '')
  )
    throw badRequest('input data must be a non-empty array of non-empty strings');
  const shape = input.shape;
  if (
    !Array.isArray(shape) ||
    !shape.every((n) => Number.isInteger(n) && (n as number) >= 0) ||
    shape.reduce((product: number, n) => product * (n as number), 1) !== data.length
  )
    throw badRequest(
      `input shape must be an array of whole numbers whose product is the number of texts (${data.length}), e.g. [${data.length}]`,
    );
  return {
    ...(id === undefined ? {} : { id }),
    data: data as string[],
    outputs: requestedOutputs(outputs, available),
  };
}

/** The outputs asked for, each once in the order asked; all of them when none is named. */
function requestedOutputs(outputs: unknown, available: readonly string[]): string[] {
  if (outputs === undefined) return [...available];
  if (
    !Array.isArray(outputs) ||
    outputs.some((o) => typeof (o as { name?: unknown } | null)?.name !== 'string')
  )
    throw badRequest('outputs must be an array of {"name": "<output>"} objects');
  const names = [...new Set(outputs.map((o) => (o as { name: string }).name))];
  const unknown = names.filter((name) => !available.includes(name));
  if (unknown.length > 0)
    throw badRequest(
      `unknown output${unknown.length > 1 ? 's' : ''} ${quoted(unknown)}: this model has ${quoted(available)}`,
      { unknownOutputs: unknown, availableOutputs: available },
    );
  return names.length > 0 ? names : [...available];
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
      inputs: [{ name: INPUT_NAME, datatype: 'BYTES', shape: [-1] }],
      outputs: modelOutputs(runtime.heads).map(({ name, datatype }) => ({
        name,
        datatype,
        shape: [-1],
      })),
    };
  });
  router.get('/models/:name/ready', (ctx) => {
    requireModel(ctx.params.name);
    ctx.body = { name: deps.modelName, ready: true };
  });
  router.post('/models/:name/infer', async (ctx) => {
    requireModel(ctx.params.name);
    const available = new Map(modelOutputs(deps.models.runtime!.heads).map((o) => [o.name, o]));
    const { id, data, outputs } = readInferRequest((ctx.request as { body?: unknown }).body, [
      ...available.keys(),
    ]);
    if (data.length > deps.limits.maxBatch)
      throw new HttpError(
        413,
        'payload_too_large',
        `at most ${deps.limits.maxBatch} texts per request`,
      );
    data.forEach((text, i) => {
      const problem = classifyTextProblem(text);
      if (problem?.tooLong)
        throw new HttpError(413, 'payload_too_large', `input data[${i}] ${problem.message}`);
      if (problem) throw badRequest(`input data[${i}] ${problem.message}`);
    });
    const { version, results } = await classifier.classify(data);
    ctx.body = {
      model_name: deps.modelName,
      model_version: version,
      ...(id === undefined ? {} : { id }),
      outputs: outputs.map((name) => {
        const { datatype, head, field } = available.get(name)!;
        return { name, datatype, shape: [data.length], data: results.map((r) => r[head]![field]) };
      }),
    };
  });
  return router;
}
