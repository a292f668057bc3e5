import type { FieldProblem } from '../platform/errors.js';
import { addProblemCatalogue, type ProblemCatalogue } from '../web/problems.js';

/**
 * The privacy registers' problems by code: the English text is what the API says,
 * the Dutch what the privacy pages show in Dutch. Conflicts are worded by their API
 * code (`already_decided`, ...). Same keys and placeholders; a test checks it.
 */
const en = {
  'time.future': 'must not lie in the future',
  'account.none': 'no such account',
  'request.subject': 'give subject_id or subject_reference',
  'request.ground': 'a legal ground is required when a request is refused or granted in part',
  'breach.aware_before_detected': 'must not lie before detected_at',
  'breach.authority_at': 'give the time exactly when authority is notified',
  'breach.authority_reason': 'say why the authority need not be notified',
  'breach.informed_at': 'give the time exactly when people_informed is informed',
  'breach.informed_reason': 'say why the people are not informed (art. 34(3))',
  'registers.dpo_only': 'Only the privacy officer keeps the registers; auditors read them',
  request_closed: 'The request is closed',
  already_extended: 'The deadline was already extended',
  already_decided: 'The request is already decided',
  not_decided: 'Decide the request before recording that the person was told',
  not_restricted: 'No restriction is in force for this person',
} as const;

/** A code of the privacy domain's problems. */
export type PrivacyProblemCode = keyof typeof en;

const nl: Record<PrivacyProblemCode, string> = {
  'time.future': 'mag niet in de toekomst liggen',
  'account.none': 'dit account bestaat niet',
  'request.subject': 'geef een account-id of een dossierkenmerk',
  'request.ground': 'een wettelijke grond is verplicht als een verzoek wordt geweigerd of deels toegewezen',
  'breach.aware_before_detected': 'mag niet vóór het moment van ontdekken liggen',
  'breach.authority_at': 'geef de tijd alleen, en dan verplicht, als de toezichthouder is gemeld',
  'breach.authority_reason': 'zeg waarom de toezichthouder niet gemeld hoeft te worden',
  'breach.informed_at': 'geef de tijd alleen, en dan verplicht, als de betrokkenen zijn geïnformeerd',
  'breach.informed_reason': 'zeg waarom de betrokkenen niet worden geïnformeerd (art. 34 lid 3)',
  'registers.dpo_only': 'Alleen de functionaris gegevensbescherming houdt de registers bij; auditors lezen ze.',
  request_closed: 'Het verzoek is afgesloten.',
  already_extended: 'De termijn is al verlengd.',
  already_decided: 'Over het verzoek is al besloten.',
  not_decided: 'Besluit eerst over het verzoek voordat u vastlegt dat de persoon is geïnformeerd.',
  not_restricted: 'Voor deze persoon geldt geen beperking.',
};

/** Both languages, for the test that keeps their keys and placeholders in step. */
export const PRIVACY_PROBLEMS: ProblemCatalogue = { en, nl };
addProblemCatalogue(PRIVACY_PROBLEMS);

/** A field problem with its code: the API's English message, worded again by a page. */
export function privacyProblem(field: string, code: PrivacyProblemCode): FieldProblem {
  return { field, message: en[code], code };
}
