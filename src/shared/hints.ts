import type { TransportKind } from './events';

/**
 * A trade-off hint: a rule over a session's configuration and measured statistics.
 * Its message quotes the numbers it fired on. Rules live in src/shared/hintRules.ts.
 */
export interface Hint {
  /** Stable id of the rule, e.g. "poll.mostly-empty". */
  id: string;
  severity: 'info' | 'warning' | 'risk';
  transport: TransportKind | 'any';
  /** One sentence with the measured numbers. */
  message: string;
  /** The numbers the rule fired on. */
  numbers: Record<string, number | string>;
  /** Why it matters. */
  why: string;
  /** What to do about it. */
  suggestion: string;
}
