/**
 * The routing rules file of the system this platform replaces (`config/routing_rules.yaml` with
 * `category_to_department` and `escalation_rules`), read with its own semantics and turned into
 * the RoutingPolicy spec the engine runs: the same decisions either way.
 */
import { Ajv } from 'ajv';
import type { RoutingPolicySpec } from '../../crds/generated/routingpolicies.js';
import { originalRulesBoundProblems, POLICY_LIMITS } from './policy-limits.js';
import { closedSchema, describeSchemaErrors } from './unknown-keys.js';

/** Where a category the map does not name goes; the file can say otherwise (`default_department`). */
export const ORIGINAL_DEFAULT_DEPARTMENT = 'customer-service';

/** The keys that mark a document as the original shape. */
export const ORIGINAL_KEYS = ['category_to_department', 'escalation_rules'] as const;

export interface OriginalRoutingRules {
  default_department?: string;
  category_to_department?: Record<string, string>;
  escalation_rules?: {
    name: string;
    conditions: { urgency?: string[]; sentiment?: string[]; category?: string[] };
    action: { department?: string; priority_boost?: number };
  }[];
}

const allowedValues = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } };
const originalSchema = closedSchema({
  type: 'object',
  properties: {
    default_department: { type: 'string', minLength: 1 },
    category_to_department: {
      type: 'object',
      maxProperties: POLICY_LIMITS.departments,
      additionalProperties: { type: 'string', minLength: 1 },
    },
    escalation_rules: {
      type: 'array',
      maxItems: POLICY_LIMITS.escalationRules,
      items: {
        type: 'object',
        required: ['name', 'conditions', 'action'],
        properties: {
          name: { type: 'string', minLength: 1 },
          conditions: {
            type: 'object',
            minProperties: 1,
            properties: {
              urgency: {
                ...allowedValues,
                items: { type: 'string', enum: ['critical', 'high', 'medium', 'low'] },
              },
              sentiment: allowedValues,
              category: allowedValues,
            },
          },
          action: {
            type: 'object',
            properties: {
              department: { type: 'string', minLength: 1 },
              priority_boost: { type: 'integer', minimum: -100, maximum: 100 },
            },
          },
        },
      },
    },
  },
}) as object;

const validateOriginal = new Ajv({ allErrors: true, verbose: true }).compile(originalSchema);

/** True when the document uses the original shape's keys. */
export function isOriginalRoutingRules(document: unknown): boolean {
  return (
    typeof document === 'object' &&
    document !== null &&
    ORIGINAL_KEYS.some((key) => key in document)
  );
}

/**
 * Checks an original-shape document and converts it; returns the problems instead when it is
 * invalid (unknown keys named with the closest known one).
 */
export function convertOriginalRules(
  document: unknown,
): { spec: RoutingPolicySpec } | { problems: string[] } {
  const bounds = originalRulesBoundProblems(document);
  if (bounds.length > 0) return { problems: bounds };
  if (!validateOriginal(document))
    return { problems: describeSchemaErrors(validateOriginal.errors ?? [], 'routing rules') };
  const original = document as OriginalRoutingRules;
  const spec: RoutingPolicySpec = {
    defaultDepartment: original.default_department ?? ORIGINAL_DEFAULT_DEPARTMENT,
  };
  const departments = Object.entries(original.category_to_department ?? {});
  if (departments.length > 0)
    spec.departments = departments.map(([category, department]) => ({ category, department }));
  const rules = original.escalation_rules ?? [];
  if (rules.length > 0)
    spec.escalationRules = rules.map(({ name, conditions, action }) => ({
      name,
      when: {
        ...(conditions.urgency
          ? { urgency: conditions.urgency as ('critical' | 'high' | 'medium' | 'low')[] }
          : {}),
        ...(conditions.sentiment ? { sentiment: conditions.sentiment } : {}),
        ...(conditions.category ? { category: conditions.category } : {}),
      },
      then: {
        ...(action.department ? { department: action.department } : {}),
        ...(action.priority_boost !== undefined ? { priorityBoost: action.priority_boost } : {}),
        escalate: true,
      },
    }));
  return { spec };
}
