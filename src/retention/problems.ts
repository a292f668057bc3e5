import type { FieldProblem, ProblemParams } from '../platform/errors.js';
import { addProblemCatalogue, codedProblem, type ProblemCatalogue } from '../web/problems.js';

/**
 * The retention domain's problems by code (legal holds): the English text is what the
 * API and CLI say, the Dutch what a Dutch page shows. Same keys and placeholders in
 * both; a test checks it.
 */
const en = {
  'hold.until_past': 'must not lie in the past',
  'hold.to_before_from': 'must not lie before from',
  'hold.not_an_id': 'must be an id (uuid)',
  'hold.no_person': 'no such person',
  'hold.no_project': 'no such project',
  'hold.no_customer': 'no such customer',
} as const;

/** A code of the retention domain's problems. */
export type RetentionProblemCode = keyof typeof en;

const nl: Record<RetentionProblemCode, string> = {
  'hold.until_past': 'mag niet in het verleden liggen',
  'hold.to_before_from': 'mag niet vóór de begindatum liggen',
  'hold.not_an_id': 'is geen geldige id',
  'hold.no_person': 'deze persoon bestaat niet',
  'hold.no_project': 'dit project bestaat niet',
  'hold.no_customer': 'deze klant bestaat niet',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const RETENTION_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(RETENTION_PROBLEMS);

/** A field problem with its code: the API's English message, worded again by a page. */
export function retentionProblem(field: string, code: RetentionProblemCode, params?: ProblemParams): FieldProblem {
  return codedProblem(en, field, code, params);
}
