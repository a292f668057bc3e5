import { ForbiddenError, type FieldProblem, type ProblemParams } from '../platform/errors.js';
import { addProblemCatalogue, codedProblem, type ProblemCatalogue } from '../web/problems.js';

/**
 * The capture domain's problems by code: the English text is what the API says
 * (agents and clients depend on it), the Dutch what "My activity" shows in Dutch.
 * Same keys and placeholders in both; a test checks it.
 */
const en = {
  'date.none': 'no such date',
  'period.to_before_from': 'must not be before from',
  'suggestion.name': 'name the suggestion (key or app)',
  'suggestion.project': 'choose the project to book this activity on',
  'rule.no_project': 'no such project (or it is archived)',
  'rule.no_task': 'no such task in this project',
  'rule.none': 'no such rule',
  'rules.max': 'at most {max} mapping rules',
  'share.team': 'you can share only with a team you belong to',
  'share.no_rules': 'you have no mapping rules to share',
  'event.too_old': 'older than the raw capture retention period',
  'event.future': 'more than a day in the future',
  'template.not_yours': 'Only the person who shared a template can withdraw it',
} as const;

/** A code of the capture domain's problems. */
export type CaptureProblemCode = keyof typeof en;

const nl: Record<CaptureProblemCode, string> = {
  'date.none': 'deze datum bestaat niet',
  'period.to_before_from': 'mag niet vóór de begindatum liggen',
  'suggestion.name': 'noem het voorstel (sleutel of programma)',
  'suggestion.project': 'kies het project waarop deze activiteit geboekt wordt',
  'rule.no_project': 'dit project bestaat niet (of is gearchiveerd)',
  'rule.no_task': 'deze taak hoort niet bij dit project',
  'rule.none': 'deze regel bestaat niet',
  'rules.max': 'hoogstens {max} koppelregels',
  'share.team': 'u kunt alleen delen met een team waar u bij hoort',
  'share.no_rules': 'u hebt geen koppelregels om te delen',
  'event.too_old': 'is ouder dan de bewaartermijn van vastgelegde activiteit',
  'event.future': 'ligt meer dan een dag in de toekomst',
  'template.not_yours': 'Alleen wie een sjabloon deelde, kan het intrekken.',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const CAPTURE_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(CAPTURE_PROBLEMS);

/** A field problem with its code: the API's English message, worded again by a page. */
export function captureProblem(field: string, code: CaptureProblemCode, params?: ProblemParams): FieldProblem {
  return codedProblem(en, field, code, params);
}

/** A 403 with the API's generic code; `params.key` names the wording a page shows. */
export function captureRefusal(key: CaptureProblemCode): ForbiddenError {
  const err = new ForbiddenError(en[key]);
  err.params = { key };
  return err;
}
