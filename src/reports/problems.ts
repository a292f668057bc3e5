import type { FieldProblem, ProblemParams } from '../platform/errors.js';
import { addProblemCatalogue, codedProblem, type ProblemCatalogue } from '../web/problems.js';

/**
 * The reports domain's problems by code: the English text is what the API says, the
 * Dutch what a Dutch reports page shows. Same keys and placeholders in both; a test
 * checks it.
 */
const en = {
  'reports.to_before_from': 'must not lie before from',
  'reports.too_many_periods': 'a report spans at most {max} periods',
  'reports.too_many_days': 'the period holds more than {max} days; export it in parts',
  'reports.one_target': 'give exactly one of customer_id, project_id, task_id',
} as const;

/** A code of the reports domain's problems. */
export type ReportsProblemCode = keyof typeof en;

const nl: Record<ReportsProblemCode, string> = {
  'reports.to_before_from': 'mag niet vóór de begindatum liggen',
  'reports.too_many_periods': 'een rapport beslaat hoogstens {max} perioden',
  'reports.too_many_days': 'de periode bevat meer dan {max} dagen; exporteer haar in delen',
  'reports.one_target': 'kies precies één: klant, project of taak',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const REPORTS_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(REPORTS_PROBLEMS);

/** A field problem with its code: the API's English message (or `message` when given), worded again by a page. */
export function reportsProblem(field: string, code: ReportsProblemCode, params?: ProblemParams, message?: string): FieldProblem {
  const problem = codedProblem(en, field, code, params);
  return message ? { ...problem, message } : problem;
}
