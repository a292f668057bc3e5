import type { FieldProblem } from '../platform/errors.js';
import { addProblemCatalogue, type ProblemCatalogue } from '../web/problems.js';

/**
 * The compliance domain's problems and refusals by code: the English text is what
 * the API says, the Dutch what the auditor's pages show in Dutch. Conflicts are
 * worded by their API code. Same keys and placeholders; a test checks it.
 */
const en = {
  auditor_only: 'This view is for auditors.',
  export_not_ready: 'The export is not ready yet',
  'period.to_before_from': 'must not be before from',
  'range.to_after_from': 'must be after from',
  'range.from_before_to': 'must be before to (default: now)',
} as const;

/** A code of the compliance domain's problems. */
export type ComplianceProblemCode = keyof typeof en;

const nl: Record<ComplianceProblemCode, string> = {
  auditor_only: 'Deze weergave is alleen voor auditors.',
  export_not_ready: 'De export is nog niet klaar.',
  'period.to_before_from': 'mag niet vóór de begindatum liggen',
  'range.to_after_from': 'moet na de begindatum liggen',
  'range.from_before_to': 'moet vóór de einddatum liggen (standaard: nu)',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const COMPLIANCE_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(COMPLIANCE_PROBLEMS);

/** A field problem with its code: the API's English message, worded again by a page. */
export function complianceProblem(field: string, code: ComplianceProblemCode): FieldProblem {
  return { field, message: en[code], code };
}
