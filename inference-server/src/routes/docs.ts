/** GET /docs/openapi.json (OpenAPI 3.1) and GET /docs (the same, rendered as a page; no external assets). */
import Router from '@koa/router';
import { inquiryInputSchema } from '../../../lib/inquiry.js';

const error = { $ref: '#/components/responses/Error' };

/** A text to classify as an object; another field is a 422 naming it. */
const classifyObject = {
  type: 'object',
  additionalProperties: false,
  required: ['body'],
  properties: {
    subject: { type: 'string' },
    body: { type: 'string', minLength: 1 },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Inquiry Platform inference API',
    version: '0.1.0',
    description:
      'Classify client inquiries (category, sentiment, urgency), route them, and collect feedback.',
  },
  paths: {
    '/api/v1/inquiries/submit': {
      post: {
        summary: 'Classify, route and store an inquiry',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', maxLength: 200 },
            description:
              'A retried submit with the same key returns the first answer and stores nothing twice.',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { $ref: '#/components/schemas/InquiryInput' } },
          },
        },
        responses: {
          '201': {
            description:
              'Stored: id, classification, routing decision, model version, processing time.',
          },
          '200': { description: 'Already stored (same content, or a replayed Idempotency-Key).' },
          '400': error,
          '413': error,
          '415': error,
          '422': error,
          '503': error,
        },
      },
    },
    '/api/v1/inquiries/classify': {
      post: {
        summary: 'Classify a text; nothing is stored',
        parameters: [
          {
            name: 'include_all_scores',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'Return the probability of every label.',
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [{ type: 'string', minLength: 1 }, classifyObject],
              },
            },
          },
        },
        responses: {
          '200': {
            description:
              'Label and confidence per head; urgency with its source and matched terms.',
          },
          '400': error,
          '413': error,
          '422': error,
          '503': error,
        },
      },
    },
    '/api/v1/inquiries/classify/batch': {
      post: {
        summary: 'Classify many texts in one model run',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['texts'],
                properties: {
                  texts: {
                    type: 'array',
                    minItems: 1,
                    items: { oneOf: [{ type: 'string' }, classifyObject] },
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: '{results: [...], model_version}' },
          '400': error,
          '413': error,
          '422': error,
        },
      },
    },
    '/api/v1/inquiries/{id}': {
      get: {
        summary: 'An inquiry with its predictions, routing decision and feedback',
        description:
          'With authentication on, only its submitter and tokens with the inquiry:staff (or inquiry:admin) scope or role read it; for anyone else it is 404, as a missing one.',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        responses: { '200': { description: 'The inquiry' }, '400': error, '404': error },
      },
      patch: {
        summary:
          "Where its handling stands: open, in_progress or resolved (with who resolved it); a resolved inquiry no longer counts in its consultant's load",
        description:
          'With authentication on, needs the inquiry:staff (or inquiry:admin) scope or role (else 403).',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['status'],
                properties: {
                  status: { type: 'string', enum: ['open', 'in_progress', 'resolved'] },
                  resolved_by: { type: 'string', description: 'Required with status resolved.' },
                },
                additionalProperties: false,
              },
            },
          },
        },
        responses: {
          '200': { description: 'The new status, the previous one, and when it was resolved' },
          '400': error,
          '403': error,
          '404': error,
          '409': error,
          '422': error,
        },
      },
    },
    '/api/v1/inquiries/{id}/feedback': {
      post: {
        summary:
          'The true labels from a human (any head, and department; a head of the serving model takes one of its labels or one the routing policy names for it)',
        description:
          'With authentication on, needs the inquiry:staff (or inquiry:admin) scope or role (else 403).',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  category: { type: 'string' },
                  sentiment: { type: 'string' },
                  urgency: { type: 'string' },
                  department: { type: 'string' },
                  reviewer: { type: 'string' },
                },
                additionalProperties: { type: 'string' },
              },
            },
          },
        },
        responses: {
          '201': { description: 'Stored; says whether each label agrees with the prediction' },
          '403': error,
          '404': error,
          '422': error,
        },
      },
    },
    '/api/v1/stats': {
      get: {
        summary:
          'Counts by category, department, urgency, sentiment and model version; escalation and triage rates; mean confidence',
        parameters: [
          { name: 'hours', in: 'query', schema: { type: 'number', default: 24 } },
          { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
        ],
        responses: { '200': { description: 'Statistics' }, '400': error },
      },
    },
    '/v2/health/live': {
      get: {
        summary: 'Open Inference Protocol: liveness',
        responses: { '200': { description: '{live: true}' } },
      },
    },
    '/v2/health/ready': {
      get: {
        summary: 'Open Inference Protocol: readiness',
        responses: { '200': { description: '{ready: true}' }, '503': { description: 'not ready' } },
      },
    },
    '/v2/models/{name}': {
      get: {
        summary: 'Open Inference Protocol: model metadata',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'inputs and outputs' }, '404': error },
      },
    },
    '/v2/models/{name}/infer': {
      post: {
        summary: 'Open Inference Protocol: infer with a BYTES input of texts',
        description:
          'One input "text" (BYTES). `outputs: [{name}]` asks for some outputs, in that order; an unknown one is a 400 naming those the model has. A field the protocol does not define is a 422 naming it.',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': { description: 'one BYTES and one FP32 output per head, or those asked for' },
          '400': error,
          '422': error,
        },
      },
    },
    '/healthz': {
      get: { summary: 'The process answers', responses: { '200': { description: 'ok' } } },
    },
    '/readyz': {
      get: {
        summary: 'Model loaded and database reachable (when configured)',
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'text exposition format' } },
      },
    },
  },
  components: {
    schemas: {
      InquiryInput: inquiryInputSchema,
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
          },
        },
      },
    },
    responses: {
      Error: {
        description: 'An error: what went wrong and what to do',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  },
} as const;

const escape = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function page(): string {
  const rows = Object.entries(openApiDocument.paths).flatMap(([route, methods]) =>
    Object.entries(
      methods as Record<string, { summary: string; responses: Record<string, unknown> }>,
    ).map(
      ([method, operation]) =>
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(route)}</code></td><td>${escape(operation.summary)}</td><td>${Object.keys(operation.responses).join(', ')}</td></tr>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${openApiDocument.info.title}</title>
<style>body{font-family:sans-serif;margin:2rem;max-width:70rem}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}pre{background:#f6f6f6;padding:1rem;overflow:auto}</style></head>
<body><h1>${openApiDocument.info.title}</h1><p>${escape(openApiDocument.info.description)} Machine-readable: <a href="/docs/openapi.json">/docs/openapi.json</a>.</p>
<table><tr><th>method</th><th>path</th><th>what</th><th>statuses</th></tr>${rows.join('')}</table>
<h2>Inquiry input</h2><pre>${escape(JSON.stringify(inquiryInputSchema, null, 2))}</pre>
<p>Errors are <code>{"error": {"code", "message", "details"}}</code>.</p></body></html>`;
}

export function docsRoutes(): Router {
  const router = new Router();
  router.get('/docs/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'html';
    ctx.body = page();
  });
  return router;
}
