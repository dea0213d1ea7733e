/**
 * Urgency from the text itself: keyword and pattern rules (outage, asap, legal threats, …) that
 * report the terms they matched, combined with the model's urgency head when it has one.
 */

export const URGENCY_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type UrgencyLevel = (typeof URGENCY_LEVELS)[number];

const RULES: { level: UrgencyLevel; patterns: RegExp[] }[] = [
  {
    level: 'critical',
    patterns: [
      /\b(?:outage|production (?:is )?down|system (?:is )?down|site (?:is )?down|data breach|security breach|breach)\b/i,
      /\bcritical\b/i,
      /\bemergency\b/i,
      /\b(?:immediately|right now|right away)\b/i,
      /\b(?:legal action|lawsuit|sue you|attorney|court order|subpoena)\b/i,
      /\b(?:cannot|can't|can ?not) (?:work|operate|access anything)\b/i,
      /\bdeadline (?:is )?today\b/i,
    ],
  },
  {
    level: 'high',
    patterns: [
      /\burgent(?:ly)?\b/i,
      /\basap\b|\bas soon as possible\b/i,
      /\bby (?:tomorrow|end of (?:the )?day|eod|tonight)\b/i,
      /\bblock(?:ing|ed|er)\b/i,
      /\bdeadline\b/i,
      /\bescalat(?:e|ion)\b/i,
    ],
  },
  {
    level: 'medium',
    patterns: [/\b(?:this week|soon|when you can|in the next few days)\b/i],
  },
  {
    level: 'low',
    patterns: [/\b(?:no rush|whenever|no hurry|fyi|for your information|not urgent)\b/i],
  },
];

export interface UrgencyRuleResult {
  /** The most urgent level any rule matched, or null. */
  level: UrgencyLevel | null;
  matchedTerms: string[];
}

/** The rules' patterns, global and compiled once: `lastIndex` is reset before each use. */
const GLOBAL_RULES = RULES.map(({ level, patterns }) => ({
  level,
  patterns: patterns.map((pattern) => new RegExp(pattern.source, 'gi')),
}));

/** Runs every rule over the text; the highest matched level wins and all matched terms are kept. */
export function detectUrgency(text: string): UrgencyRuleResult {
  const matchedTerms = new Set<string>();
  let level: UrgencyLevel | null = null;
  for (const rule of GLOBAL_RULES) {
    for (const pattern of rule.patterns) {
      pattern.lastIndex = 0;
      let match = pattern.exec(text);
      if (match === null) continue;
      for (; match !== null; match = pattern.exec(text))
        matchedTerms.add(match[0].toLowerCase().replace(/\s+/g, ' '));
      if (level === null || rank(rule.level) > rank(level)) level = rule.level;
    }
  }
  return { level, matchedTerms: [...matchedTerms] };
}

const rank = (level: UrgencyLevel): number => URGENCY_LEVELS.indexOf(level);

export interface Urgency {
  label: UrgencyLevel;
  confidence: number;
  /** model: the urgency head; rules: the text rules; model+rules: rules raised the model's level. */
  source: 'model' | 'rules' | 'model+rules';
  matchedTerms: string[];
}

/**
 * The model's urgency, raised to the rules' level when the text explicitly says more
 * (explicit words beat a statistical guess upwards, never downwards: a "no rush" does not
 * calm an outage). Without an urgency head, the rules decide, else `medium`.
 */
export function combineUrgency(
  model: { label: string; confidence: number } | undefined,
  rules: UrgencyRuleResult,
): Urgency {
  const modelLevel =
    model && (URGENCY_LEVELS as readonly string[]).includes(model.label)
      ? (model.label as UrgencyLevel)
      : undefined;
  if (!modelLevel) {
    return {
      label: rules.level ?? 'medium',
      confidence: rules.level ? 0.7 : 0.4,
      source: 'rules',
      matchedTerms: rules.matchedTerms,
    };
  }
  if (rules.level && rank(rules.level) > rank(modelLevel) && rank(rules.level) >= rank('high')) {
    return {
      label: rules.level,
      confidence: Math.max(0.7, model!.confidence),
      source: 'model+rules',
      matchedTerms: rules.matchedTerms,
    };
  }
  return {
    label: modelLevel,
    confidence: model!.confidence,
    source: 'model',
    matchedTerms: rules.matchedTerms,
  };
}
