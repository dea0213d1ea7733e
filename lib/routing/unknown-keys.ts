import type { ErrorObject } from 'ajv';

/**
 * Unknown keys in a policy document are refused, never ignored: a misspelt key that is dropped
 * silently changes routing without a word. The message names the key and the closest known one.
 */

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length]!;
}

/** Case, `_` and `-` do not count: `priority_boost` is closest to `priorityBoost`. */
const normalized = (key: string): string => key.toLowerCase().replace(/[_-]/g, '');

/** The known key most like `key` (undefined when there are none). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(normalized(key), normalized(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** `unknown key "x" at spec.triage (the closest known key is "queue")`. */
export function unknownKeyMessage(key: string, where: string, known: readonly string[]): string {
  const closest = closestKey(key, known);
  return `unknown key "${key}" at ${where}${closest ? ` (did you mean "${closest}"? known keys: ${known.join(', ')})` : ''}`;
}

/** Adds `additionalProperties: false` to every object schema that lists its properties. */
export function closedSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const record = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === 'properties'
        ? Object.fromEntries(
            Object.entries(value as object).map(([name, sub]) => [name, closedSchema(sub)]),
          )
        : closedSchema(value),
    ]),
  );
  if (
    record.properties !== undefined &&
    record.additionalProperties === undefined &&
    record['x-kubernetes-preserve-unknown-fields'] !== true
  )
    record.additionalProperties = false;
  return record;
}

/** One sentence per ajv error (compiled with `verbose: true`), unknown keys with their closest. */
export function describeSchemaErrors(errors: readonly ErrorObject[], root: string): string[] {
  return errors.map((e) => {
    const where = [root, ...e.instancePath.split('/').slice(1)].join('.');
    if (e.keyword === 'additionalProperties')
      return unknownKeyMessage(
        String(e.params.additionalProperty),
        where,
        Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}),
      );
    return `${where} ${e.message ?? 'is invalid'}`;
  });
}
