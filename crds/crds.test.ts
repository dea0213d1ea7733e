/**
 * The CRDs teach their API through `kubectl explain`: every field, in spec and status, says
 * what it is. (Array items and map values are described by their field; the API server refuses
 * anything but the type on the root's `metadata`.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

interface Schema {
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

/** Paths of the fields under `schema` that have no description. */
function undescribed(schema: Schema, path: string, isRoot = false): string[] {
  const missing: string[] = [];
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const fieldPath = `${path}.${name}`;
    if (isRoot && name === 'metadata') continue;
    if (!field.description?.trim()) missing.push(fieldPath);
    missing.push(...undescribed(field, fieldPath));
  }
  if (schema.items) missing.push(...undescribed(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object')
    missing.push(...undescribed(schema.additionalProperties, `${path}{}`));
  return missing;
}

const crdFiles = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.yaml'));

describe('CRD schemas', () => {
  it('cover the three kinds', () => {
    expect(crdFiles.sort()).toEqual([
      'inquirypipelines.yaml',
      'modelversions.yaml',
      'routingpolicies.yaml',
    ]);
  });

  it.each(crdFiles)('%s describes every field', (file) => {
    const crd = parse(readFileSync(new URL(file, import.meta.url), 'utf8')) as {
      spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    };
    for (const version of crd.spec.versions) {
      const root = version.schema.openAPIV3Schema;
      expect(root.description).toBeTruthy();
      expect(undescribed(root, version.name, true)).toEqual([]);
    }
  });
});
