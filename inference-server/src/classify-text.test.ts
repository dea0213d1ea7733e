import { batchItems, classifyText } from './classify-text.js';
import { HttpError } from './errors.js';

function refusal(read: () => unknown): HttpError {
  try {
    read();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('classifyText', () => {
  it('takes a bare string, or subject and body', () => {
    expect(classifyText('Charged twice')).toBe('Charged twice');
    expect(classifyText({ subject: 'Refund', body: 'Charged twice' })).toContain('Charged twice');
  });

  it('refuses fields other than subject and body with a 422 naming each', () => {
    const error = refusal(() =>
      classifyText({ body: 'Charged twice', sender: 'ann@example.com', subjet: 'Refund' }),
    );
    expect([error.status, error.code, error.message]).toEqual([
      422,
      'invalid_input',
      'the request is not valid: sender is not a known field (subject, body); subjet is not a known field (subject, body)',
    ]);
    expect(error.details).toEqual([
      { field: 'sender', message: 'is not a known field (subject, body)' },
      { field: 'subjet', message: 'is not a known field (subject, body)' },
    ]);
  });

  it('names a long unknown field by its first 64 characters', () => {
    const error = refusal(() => classifyText({ body: 'x', ['k'.repeat(5000)]: 1 }));
    expect(error.details).toEqual([
      { field: `${'k'.repeat(64)}…`, message: 'is not a known field (subject, body)' },
    ]);
  });
});

describe('batchItems', () => {
  it('takes {"texts": [...]} or a bare array', () => {
    expect(batchItems({ texts: ['a', { body: 'b' }] })).toEqual(['a', { body: 'b' }]);
    expect(batchItems(['a', 'b'])).toEqual(['a', 'b']);
    expect(batchItems({ texts: [] })).toEqual([]);
  });

  it('refuses top-level fields other than texts with a 422 naming each', () => {
    const extra = refusal(() => batchItems({ texts: ['a'], txts: 1, include_all_scores: true }));
    expect([extra.status, extra.code]).toEqual([422, 'invalid_input']);
    expect(extra.details).toEqual([
      { field: 'txts', message: 'is not a known field (texts)' },
      { field: 'include_all_scores', message: 'is not a known field (texts)' },
    ]);
    const misspelt = refusal(() => batchItems({ txts: ['a'] }));
    expect([misspelt.status, misspelt.message]).toEqual([
      422,
      'the request is not valid: txts is not a known field (texts); texts is required',
    ]);
  });

  it.each([[{}], [{ texts: 'a' }], [null], ['a'], [7]])(
    'refuses %j with a 400 saying what to send',
    (body) => {
      const error = refusal(() => batchItems(body));
      expect([error.status, error.message]).toEqual([
        400,
        'send {"texts": [...]} (strings or {subject?, body} objects), or a JSON array',
      ]);
    },
  );
});
