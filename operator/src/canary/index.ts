/** The canary state machine of a ModelVersion rollout: pure decisions, no I/O. */
export { parseDuration } from './duration.js';
export { judgeMetric, summarize } from './analysis.js';
export type { AnalysisResult, Observation, Verdict } from './analysis.js';
export { describeMatch, planRollout, ROLLOUT_DEFAULTS } from './rollout.js';
export type {
  AnalysisMetric,
  CookieMatch,
  HeaderMatch,
  PlanOutcome,
  PlannedStep,
  RequestMatch,
  RolloutPlan,
  Strategy,
} from './rollout.js';
export {
  analysisDue,
  CONTROL_ANNOTATION,
  controlOf,
  isTerminal,
  nextStep,
  ROUTE_RECHECK_MS,
} from './state-machine.js';
export type {
  Action,
  CanaryInput,
  Control,
  Decision,
  EventSeverity,
  Phase,
} from './state-machine.js';
