/**
 * Generates TypeScript types from the CRDs' openAPIV3Schema (crds/*.yaml) into crds/types/:
 * the schemas are the API, the types follow. `npm run generate:types`; a unit test fails when
 * the checked-in files are stale.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { parse } from 'yaml';

const CRD_DIR = fileURLToPath(new URL('../crds/', import.meta.url));

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
function plainSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(plainSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const record = schema as Record<string, unknown>;
  const plain = Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !key.startsWith('x-kubernetes-'))
      .map(([key, value]) => [key, plainSchema(value)]),
  );
  if (record['x-kubernetes-preserve-unknown-fields'] === true && !('properties' in record)) {
    plain.additionalProperties = true;
  }
  return plain;
}

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
          {
            bannerComment: '',
            additionalProperties: false,
            // Bounded arrays stay T[] instead of unions of every tuple length.
            maxItems: -1,
            strictIndexSignatures: true,
            style: { singleQuote: true, printWidth: 100, trailingComma: 'all' },
          },
        ),
      );
    }
    const header = `// Generated from crds/${file} (${version.name}) by \`npm run generate:types\`. Do not edit.\n\n`;
    files.set(`${crd.spec.names.plural}.ts`, header + parts.join('\n'));
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, content] of await generateTypes()) {
    await writeFile(path.join(CRD_DIR, 'types', name), content);
    process.stderr.write(`wrote crds/types/${name}\n`);
  }
}
