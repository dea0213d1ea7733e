/** `train --towers`: groups of heads trained as models of their own (TrainOptions.towers). */
import { parse } from 'yaml';
import type { CharNgrams } from '../train/fasttext.js';
import {
  LEARNING_RATE_SCHEDULES,
  type Hyperparameters,
  type LearningRateSchedule,
  type TowerOptions,
} from '../train/train.js';

const POSITIVE_INTEGERS = ['dim', 'maxEpochs', 'batchSize'] as const;
const HYPERPARAMETERS = [
  ...POSITIVE_INTEGERS,
  'wordNgrams',
  'charNgrams',
  'learningRate',
  'lrSchedule',
] as const;

/** `3-5`, `none`, `[3, 5]` or null, as in `--char-ngrams`. */
function charNgramsOf(value: unknown, where: string): CharNgrams {
  if (value === null || value === 'none') return null;
  const pair =
    typeof value === 'string' ? /^(\d+)-(\d+)$/.exec(value)?.slice(1).map(Number) : value;
  if (
    Array.isArray(pair) &&
    pair.length === 2 &&
    pair.every((n) => Number.isInteger(n)) &&
    pair[0] >= 1 &&
    pair[0] <= pair[1] &&
    pair[1] <= 8
  ) {
    return [pair[0] as number, pair[1] as number];
  }
  throw new Error(
    `${where}.charNgrams: use MIN-MAX with 1 ≤ MIN ≤ MAX ≤ 8 (e.g. "3-5" or [3, 5]), or none`,
  );
}

function hyperparametersOf(value: unknown, where: string): Partial<Hyperparameters> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be a mapping of hyperparameters`);
  }
  const result: Partial<Hyperparameters> = {};
  for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
    const name = `${where}.${key}`;
    if (key === 'charNgrams') result.charNgrams = charNgramsOf(setting, where);
    else if ((POSITIVE_INTEGERS as readonly string[]).includes(key)) {
      if (!Number.isInteger(setting) || (setting as number) < 1)
        throw new Error(`${name} must be a positive integer`);
      result[key as (typeof POSITIVE_INTEGERS)[number]] = setting as number;
    } else if (key === 'wordNgrams') {
      if (![1, 2, 3].includes(setting as number)) throw new Error(`${name} must be 1, 2 or 3`);
      result.wordNgrams = setting as number;
    } else if (key === 'learningRate') {
      if (typeof setting !== 'number' || !(setting > 0))
        throw new Error(`${name} must be a positive number`);
      result.learningRate = setting;
    } else if (key === 'lrSchedule') {
      if (!(LEARNING_RATE_SCHEDULES as readonly unknown[]).includes(setting))
        throw new Error(`${name} must be one of ${LEARNING_RATE_SCHEDULES.join(', ')}`);
      result.lrSchedule = setting as LearningRateSchedule;
    } else {
      throw new Error(`${name}: unknown hyperparameter (known: ${HYPERPARAMETERS.join(', ')})`);
    }
  }
  return result;
}

function headListOf(value: unknown, name: string): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((head) => typeof head === 'string' && head !== '')
  ) {
    throw new Error(`${name} must be a non-empty list of head names`);
  }
  return value as string[];
}

/**
 * Parses towers given as YAML or JSON (a list of `{heads, auxiliaryHeads?, hyperparameters?}`,
 * as TrainOptions.towers); errors name the tower and the field. Whether the heads exist is the
 * trainer's check (`checkTowers`), against the data's heads.
 */
export function parseTowers(text: string, source = '--towers'): TowerOptions[] {
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    throw new Error(`${source} is neither YAML nor JSON: ${(cause as Error).message}`, { cause });
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(
      `${source} must be a list of towers, e.g. [{"heads": ["category"]}, {"heads": ["sentiment"], "hyperparameters": {"charNgrams": "3-5"}}]`,
    );
  }
  return value.map((tower: unknown, t) => {
    const where = `${source}[${t}]`;
    if (typeof tower !== 'object' || tower === null || Array.isArray(tower)) {
      throw new Error(`${where} must be a mapping with heads`);
    }
    const { heads, auxiliaryHeads, hyperparameters, ...rest } = tower as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) {
      throw new Error(
        `${where}: unknown field ${unknown.join(', ')} (known: heads, auxiliaryHeads, hyperparameters)`,
      );
    }
    return {
      heads: headListOf(heads, `${where}.heads`),
      ...(auxiliaryHeads === undefined
        ? {}
        : { auxiliaryHeads: headListOf(auxiliaryHeads, `${where}.auxiliaryHeads`) }),
      ...(hyperparameters === undefined
        ? {}
        : { hyperparameters: hyperparametersOf(hyperparameters, `${where}.hyperparameters`) }),
    };
  });
}
