/**
 * Generates TypeScript types from CRD schemas: our CRDs (crds/*.yaml) into crds/generated/, and the
 * upstream Argo Workflows and Istio CRDs the test bed installs (the schemas the API server
 * checks our children against) into operator/src/types/generated/. The schemas are the API, the types
 * follow. `npm run generate:types`; tests fail when the checked-in files are stale.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { parse, parseAllDocuments } from 'yaml';
import { upstreamCrdFiles } from './testbed/build.js';

const CRD_DIR = fileURLToPath(new URL('../crds/', import.meta.url));
const UPSTREAM_TYPES_DIR = fileURLToPath(
  new URL('../operator/src/types/generated/', import.meta.url),
);

interface Crd {
  spec: {
    names: { kind: string; plural: string };
    versions: {
      name: string;
      schema: { openAPIV3Schema: { properties: Record<string, JSONSchema> } };
    }[];
  };
}

/**
 * Drops Kubernetes-only keywords that mean nothing to the type generator; an object that keeps
 * unknown fields becomes a string-keyed record.
 */
function plainSchema(schema: unknown, keepDescriptions = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => plainSchema(s, keepDescriptions));
  if (typeof schema !== 'object' || schema === null) return schema;
  const record = schema as Record<string, unknown>;
  const plain = Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !key.startsWith('x-kubernetes-'))
      .filter(([key]) => keepDescriptions || key !== 'description')
      .map(([key, value]) => [key, plainSchema(value, keepDescriptions)]),
  );
  if (record['x-kubernetes-preserve-unknown-fields'] === true && !('properties' in record)) {
    plain.additionalProperties = true;
  }
  if (record['x-kubernetes-int-or-string'] === true) {
    delete plain.type;
    plain.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return plain;
}

const COMPILE_OPTIONS = {
  bannerComment: '',
  additionalProperties: false,
  // Bounded arrays stay T[] instead of unions of every tuple length.
  maxItems: -1,
  strictIndexSignatures: true,
  style: { singleQuote: true, printWidth: 100, trailingComma: 'all' },
} as const;

/** file name → contents of every generated file. */
export async function generateTypes(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const file of (await readdir(CRD_DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    const crd = parse(await readFile(path.join(CRD_DIR, file), 'utf8')) as Crd;
    const { kind } = crd.spec.names;
    const version = crd.spec.versions[0]!;
    const parts: string[] = [];
    for (const [part, schema] of Object.entries(version.schema.openAPIV3Schema.properties)) {
      if (part !== 'spec' && part !== 'status') continue;
      parts.push(
        await compile(
          plainSchema(schema) as JSONSchema,
          `${kind}${part === 'spec' ? 'Spec' : 'Status'}`,
          COMPILE_OPTIONS,
        ),
      );
    }
    const header = `// Generated from crds/${file} (${version.name}) by \`npm run generate:types\`. Do not edit.\n\n`;
    files.set(`${crd.spec.names.plural}.ts`, header + parts.join('\n'));
  }
  return files;
}

/**
 * The upstream kinds the operator writes, and the spec type of each. A CronWorkflow's
 * `workflowSpec` is a Workflow spec: it points at the WorkflowTemplate's type instead of
 * repeating its ten thousand lines. Descriptions are dropped for the same reason.
 */
const UPSTREAM = [
  {
    file: 'argo-workflows.ts',
    kinds: [
      { kind: 'WorkflowTemplate', group: 'argoproj.io', type: 'WorkflowTemplateSpec' },
      {
        kind: 'CronWorkflow',
        group: 'argoproj.io',
        type: 'CronWorkflowSpec',
        replace: { workflowSpec: 'WorkflowTemplateSpec' },
      },
    ],
  },
  {
    file: 'istio.ts',
    kinds: [
      { kind: 'VirtualService', group: 'networking.istio.io', type: 'VirtualServiceSpec' },
      { kind: 'DestinationRule', group: 'networking.istio.io', type: 'DestinationRuleSpec' },
    ],
  },
] as const;

interface UpstreamCrd {
  kind?: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; storage?: boolean; schema?: { openAPIV3Schema: JSONSchema } }[];
  };
}

/** file name → contents, for operator/src/types/generated/. Fetches the upstream CRDs on first use. */
export async function generateUpstreamTypes(): Promise<Map<string, string>> {
  const crds: { crd: UpstreamCrd; file: string }[] = [];
  for (const file of await upstreamCrdFiles()) {
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
      const crd = document.toJS() as UpstreamCrd | null;
      if (crd?.kind === 'CustomResourceDefinition') crds.push({ crd, file: path.basename(file) });
    }
  }
  const files = new Map<string, string>();
  for (const target of UPSTREAM) {
    const parts: string[] = [];
    const sources: string[] = [];
    for (const wanted of target.kinds) {
      const found = crds.find(
        ({ crd }) => crd.spec.names.kind === wanted.kind && crd.spec.group === wanted.group,
      );
      if (!found) throw new Error(`no upstream CRD for ${wanted.kind}.${wanted.group}`);
      const version = found.crd.spec.versions.find((v) => v.storage) ?? found.crd.spec.versions[0]!;
      const spec = plainSchema(
        version.schema?.openAPIV3Schema.properties?.spec,
        false,
      ) as JSONSchema;
      const replace: Record<string, string> = 'replace' in wanted ? wanted.replace : {};
      for (const [property, type] of Object.entries(replace)) {
        if (spec.properties?.[property]) spec.properties[property] = { tsType: type };
      }
      parts.push(await compile(spec, wanted.type, COMPILE_OPTIONS));
      sources.push(`${found.file} (${wanted.group}/${version.name} ${wanted.kind})`);
    }
    const header =
      `// Generated by \`npm run generate:types\` from the upstream CRDs the test bed installs:\n` +
      sources.map((s) => `//   ${s}\n`).join('') +
      '// Descriptions dropped. Do not edit.\n\n';
    files.set(target.file, header + parts.join('\n'));
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, content] of await generateTypes()) {
    await writeFile(path.join(CRD_DIR, 'generated', name), content);
    process.stderr.write(`wrote crds/generated/${name}\n`);
  }
  await mkdir(UPSTREAM_TYPES_DIR, { recursive: true });
  for (const [name, content] of await generateUpstreamTypes()) {
    await writeFile(path.join(UPSTREAM_TYPES_DIR, name), content);
    process.stderr.write(`wrote operator/src/types/generated/${name}\n`);
  }
}
