/** The canary state machine of a ModelVersion rollout: pure decisions, no I/O. */
export { parseDuration } from './duration.js';
export { judgeMetric, summarize } from './analysis.js';
export type { AnalysisMetric, AnalysisResult, Observation, Verdict } from './analysis.js';
export { planRollout, ROLLOUT_DEFAULTS } from './rollout.js';
export type { PlanOutcome, PlannedStep, RolloutPlan, Strategy } from './rollout.js';
export { isTerminal, nextStep } from './state-machine.js';
export type {
  Action,
  CanaryInput,
  Control,
  Decision,
  EventSeverity,
  Phase,
} from './state-machine.js';
