import { HttpError } from '../errors.js';
import { modelOutputs, readInferRequest } from './v2.js';

const available = modelOutputs([{ name: 'category' }, { name: 'urgency' }]).map((o) => o.name);
const input = { name: 'text', datatype: 'BYTES', shape: [2], data: ['refund me', 'app crash'] };

function refusal(request: unknown): HttpError {
  try {
    readInferRequest(request, available);
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('the request was accepted');
}

describe('readInferRequest', () => {
  it('answers every output when none is asked for, else those asked, once each, in their order', () => {
    expect(available).toEqual(['category', 'category_confidence', 'urgency', 'urgency_confidence']);
    expect(readInferRequest({ id: 'r1', inputs: [input] }, available)).toEqual({
      id: 'r1',
      data: ['refund me', 'app crash'],
      outputs: available,
    });
    const outputs = [{ name: 'urgency' }, { name: 'category_confidence' }, { name: 'urgency' }];
    expect(readInferRequest({ inputs: [input], outputs }, available).outputs).toEqual([
      'urgency',
      'category_confidence',
    ]);
  });

  it('refuses an unknown output with a 400 naming it and the outputs the model has', () => {
    const error = refusal({
      inputs: [input],
      outputs: [{ name: 'category' }, { name: 'topic' }, { name: 'x' }],
    });
    expect([error.status, error.message]).toEqual([
      400,
      'unknown outputs "topic", "x": this model has "category", "category_confidence", "urgency", "urgency_confidence"',
    ]);
    expect(error.details).toEqual({ unknownOutputs: ['topic', 'x'], availableOutputs: available });
    expect(refusal({ inputs: [input], outputs: ['category'] }).message).toMatch(
      /outputs must be an array of \{"name": "<output>"\} objects/,
    );
  });

  it('refuses fields the protocol does not define with a 400 naming each, and takes parameters', () => {
    const error = refusal({
      inputs: [{ ...input, dtype: 'BYTES' }],
      ouputs: [{ name: 'category' }],
      outputs: [{ name: 'category', binary: true }],
      paramaters: {},
    });
    expect([error.status, error.code]).toEqual([400, 'invalid_input']);
    expect(error.details).toEqual([
      { field: 'ouputs', message: 'is not a known field (id, parameters, inputs, outputs)' },
      { field: 'paramaters', message: 'is not a known field (id, parameters, inputs, outputs)' },
      {
        field: 'inputs[0].dtype',
        message: 'is not a known field (name, shape, datatype, parameters, data)',
      },
      { field: 'outputs[0].binary', message: 'is not a known field (name, parameters)' },
    ]);
    expect(refusal({ inputs: [input], parameters: 'fast' }).details).toEqual([
      { field: 'parameters', message: 'must be an object' },
    ]);
    expect(
      readInferRequest(
        {
          id: 'r2',
          parameters: { sequence_id: 7 },
          inputs: [{ ...input, parameters: { content_type: 'str' } }],
          outputs: [{ name: 'urgency', parameters: { binary_data: false } }],
        },
        available,
      ),
    ).toEqual({ id: 'r2', data: ['refund me', 'app crash'], outputs: ['urgency'] });
  });

  it('refuses an unknown input name, another datatype, a shape that does not fit the data, and a non-string id', () => {
    const cases: [unknown, string][] = [
      [
        { inputs: [{ ...input, name: 'texts' }] },
        'unknown input "texts": this model has one input, "text"',
      ],
      [
        { inputs: [{ ...input, name: undefined }] },
        'the input has no name: this model has one input, "text"',
      ],
      [
        { inputs: [{ ...input, datatype: 'FP32' }] },
        'input "text" has datatype BYTES (texts), not "FP32"',
      ],
      [
        { inputs: [{ ...input, shape: [3] }] },
        'input shape must be an array of whole numbers whose product is the number of texts (2), e.g. [2]',
      ],
      [{ id: 7, inputs: [input] }, 'id must be a string'],
      [{ inputs: [input, input] }, expect.stringMatching(/^send exactly one input/) as string],
      ['text', expect.stringMatching(/^send \{"inputs"/) as string],
    ];
    for (const [request, message] of cases)
      expect([refusal(request).status, refusal(request).message]).toEqual([400, message]);
  });
});
