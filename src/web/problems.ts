import { AppError, ValidationError, type FieldProblem, type ProblemParams } from '../platform/errors.js';
import type { Lang } from './i18n.js';

/**
 * Problems (422 field problems, 409 conflicts, error pages) in the page's language.
 * An error carries the API's English text plus a code and its values; a page words
 * the code from these catalogues (nl and en, same keys and placeholders, a test checks
 * it). The JSON API keeps its English messages: clients depend on them. Domains add
 * their own catalogue with addProblemCatalogue (src/timesheets/problems.ts).
 */

/** A catalogue of problem wordings by code, `{name}` placeholders for the error's values. */
export interface ProblemCatalogue {
  en: Readonly<Record<string, string>>;
  nl: Readonly<Record<string, string>>;
}

/** The platform's problems: zod's built-in checks, the input guard, PostgreSQL, the error middleware. */
const en = {
  'zod.required': 'is required',
  'zod.too_big.string': 'must be at most {max} characters',
  'zod.too_small.string': 'must be at least {min} characters',
  'zod.too_big.number': 'must be at most {max}',
  'zod.too_small.number': 'must be at least {min}',
  'zod.too_big.array': 'may hold at most {max} items',
  'zod.too_small.array': 'must hold at least {min} items',
  'zod.format.date': 'is not a date (yyyy-mm-dd)',
  'zod.format.datetime': 'is not a date and time',
  'zod.format.time': 'is not a time (hh:mm)',
  'zod.format.uuid': 'is not one of the choices',
  'zod.format.email': 'is not an e-mail address',
  'zod.format.regex': 'does not have the right form',
  'zod.invalid_type.number': 'must be a number',
  'zod.invalid_type.int': 'must be a whole number',
  'zod.invalid_type.boolean': 'must be yes or no',
  'zod.invalid_type.string': 'must be text',
  'zod.invalid_value': 'is not one of the choices',
  'zod.invalid_union': 'does not have one of the allowed forms',
  'zod.unknown_field': 'unknown field',
  'zod.custom': 'is not valid',
  'input.nul': 'must not contain NUL bytes or invalid characters',
  'input.too_long': 'is too long (at most {max} characters)',
  'input.nested': 'is nested too deeply',
  'input.field_name': 'has a field name that is not allowed',
  'db.reference': 'refers to an object that does not exist',
  'db.required': 'is required',
  'db.too_long': 'is too long',
  invalid: 'is not valid',
  conflict: 'This cannot be done now: the data changed meanwhile.',
  already_exists: 'The object already exists.',
  forbidden: 'You may not do this.',
  unauthenticated: 'Please sign in first.',
  not_found: 'Not found.',
  internal_error: 'Something went wrong on the server; quote the request id below to the operator.',
  overloaded: 'The server is busy; try again shortly.',
  timeout: 'The request took too long and was stopped; try again shortly.',
  retry: 'The request conflicted with another; try again.',
  unavailable: 'The service is not available right now; try again later.',
  malformed_json: 'The request could not be read.',
  bad_request: 'The request could not be read.',
  bad_encoding: 'The request could not be read.',
  payload_too_large: 'What was sent is too large.',
  method_not_allowed: 'This is not possible on this page.',
  unsupported_media_type: 'The request could not be read.',
  // Refusals other domains raise with their own code (the API says more; a page needs the gist).
  role_required: 'This needs a role you do not have.',
  detail_needs_scope: 'Entry-level detail is for team admins whose scope holds the people.',
  token_not_allowed: 'Personal API tokens cannot be used for this; sign in instead.',
  token_scope: 'This API token lacks the scope this needs.',
  password_incorrect: 'The password is not correct.',
  csrf_failed: 'The form has expired; reload the page and try again.',
  cross_site_request: 'Requests from another site are refused.',
  confidentiality_statement_required: 'Agree to the confidentiality statement first.',
  enrolment_needs_operator: 'Your password was reset before you had a second factor; an operator must confirm before you can set one up.',
  totp_enrolment_required: 'No second factor is enrolled; enrol one first.',
  too_many_attempts: 'Too many failed attempts; try again later.',
  invalid_token: 'This link is not valid (expired or already used).',
  payroll_locked: 'The payroll period holding this day is locked.',
  notice_version_changed: 'A newer version is in force now; read it and confirm that one.',
  already_released: 'This legal hold is already released.',
  export_in_progress: 'An export you started is still being built; wait for it to finish.',
  export_gone: 'This export is no longer there; start a new one.',
  key_shredded: 'These data were erased for good.',
} as const;

const nl: Record<keyof typeof en, string> = {
  'zod.required': 'is verplicht',
  'zod.too_big.string': 'mag hoogstens {max} tekens lang zijn',
  'zod.too_small.string': 'moet minstens {min} tekens lang zijn',
  'zod.too_big.number': 'mag hoogstens {max} zijn',
  'zod.too_small.number': 'moet minstens {min} zijn',
  'zod.too_big.array': 'mag hoogstens {max} keuzes bevatten',
  'zod.too_small.array': 'moet minstens {min} keuzes bevatten',
  'zod.format.date': 'is geen datum (jjjj-mm-dd)',
  'zod.format.datetime': 'is geen datum met tijd',
  'zod.format.time': 'is geen tijd (uu:mm)',
  'zod.format.uuid': 'is geen van de keuzes',
  'zod.format.email': 'is geen e-mailadres',
  'zod.format.regex': 'heeft niet de juiste vorm',
  'zod.invalid_type.number': 'moet een getal zijn',
  'zod.invalid_type.int': 'moet een heel getal zijn',
  'zod.invalid_type.boolean': 'moet ja of nee zijn',
  'zod.invalid_type.string': 'moet tekst zijn',
  'zod.invalid_value': 'is geen van de keuzes',
  'zod.invalid_union': 'heeft geen van de toegestane vormen',
  'zod.unknown_field': 'is een onbekend veld',
  'zod.custom': 'klopt niet',
  'input.nul': 'mag geen NUL-tekens of ongeldige tekens bevatten',
  'input.too_long': 'is te lang (hoogstens {max} tekens)',
  'input.nested': 'is te diep genest',
  'input.field_name': 'heeft een veldnaam die niet is toegestaan',
  'db.reference': 'verwijst naar iets dat niet bestaat',
  'db.required': 'is verplicht',
  'db.too_long': 'is te lang',
  invalid: 'klopt niet',
  conflict: 'Dit kan nu niet: de gegevens zijn intussen veranderd.',
  already_exists: 'Dit bestaat al.',
  forbidden: 'U mag dit niet doen.',
  unauthenticated: 'Meld u eerst aan.',
  not_found: 'Niet gevonden.',
  internal_error: 'Er ging op de server iets mis; noem de beheerder de verzoek-id hieronder.',
  overloaded: 'De server heeft het druk; probeer het zo opnieuw.',
  timeout: 'Het verzoek duurde te lang en is gestopt; probeer het zo opnieuw.',
  retry: 'Het verzoek botste met een ander; probeer het opnieuw.',
  unavailable: 'De dienst is nu niet beschikbaar; probeer het later opnieuw.',
  malformed_json: 'Het verzoek kon niet worden gelezen.',
  bad_request: 'Het verzoek kon niet worden gelezen.',
  bad_encoding: 'Het verzoek kon niet worden gelezen.',
  payload_too_large: 'Wat is verzonden, is te groot.',
  method_not_allowed: 'Dit kan niet op deze pagina.',
  unsupported_media_type: 'Het verzoek kon niet worden gelezen.',
  role_required: 'Hiervoor heeft u een rol nodig die u niet hebt.',
  detail_needs_scope: 'Details per regel zijn alleen voor teambeheerders van wie het team deze personen omvat.',
  token_not_allowed: 'Met een persoonlijk API-token kan dit niet; meld u aan.',
  token_scope: 'Dit API-token mist de bevoegdheid die hiervoor nodig is.',
  password_incorrect: 'Het wachtwoord klopt niet.',
  csrf_failed: 'Het formulier is verlopen; laad de pagina opnieuw en probeer het nog eens.',
  cross_site_request: 'Verzoeken vanaf een andere site worden geweigerd.',
  confidentiality_statement_required: 'Ga eerst akkoord met de geheimhoudingsverklaring.',
  enrolment_needs_operator: 'Uw wachtwoord is hersteld voordat u een tweede factor had; een operator moet dat bevestigen voordat u er een kunt instellen.',
  totp_enrolment_required: 'Er is geen tweede factor gekoppeld; koppel er eerst een.',
  too_many_attempts: 'Te veel mislukte pogingen; probeer het later opnieuw.',
  invalid_token: 'Deze link is niet geldig (verlopen of al gebruikt).',
  payroll_locked: 'De salarisperiode van deze dag is afgesloten.',
  notice_version_changed: 'Er geldt intussen een nieuwere versie; lees die en bevestig die.',
  already_released: 'Deze bewaarplicht is al opgeheven.',
  export_in_progress: 'Een export die u startte, wordt nog gemaakt; wacht tot die klaar is.',
  export_gone: 'Deze export is er niet meer; start een nieuwe.',
  key_shredded: 'Deze gegevens zijn definitief gewist.',
};

/** The platform's catalogue, for the test that keeps the languages in step. */
export const PLATFORM_PROBLEMS: ProblemCatalogue = { en, nl };

const catalogues: ProblemCatalogue[] = [PLATFORM_PROBLEMS];

/** Adds a domain's catalogue (once); its codes are looked up after the platform's. */
export function addProblemCatalogue(c: ProblemCatalogue): void {
  if (!catalogues.includes(c)) catalogues.push(c);
}

/** Fills `{name}` placeholders; a value with its own wording (`value.state.submitted`) is worded too. */
export function fillProblem(template: string, params: ProblemParams = {}, lang?: Lang): string {
  return template
    .replace(/\{(\w+)\}/g, (_m, name: string) => {
      const v = params[name];
      if (v === undefined) return '';
      return (lang && wording(lang, `value.${name}.${v}`)) || String(v);
    })
    .replace(/ {2,}/g, ' ');
}

/**
 * A field problem from a domain catalogue: the code, its values, and as message the
 * catalogue's English text filled in (what the API says); a page words the code again.
 */
export function codedProblem(en: Readonly<Record<string, string>>, field: string, code: string, params?: ProblemParams): FieldProblem {
  return { field, message: fillProblem(en[code]!, params), code, ...(params ? { params } : {}) };
}

function wording(lang: Lang, code: string): string | undefined {
  for (const c of catalogues) if (Object.hasOwn(c[lang], code)) return c[lang][code];
  return undefined;
}

/**
 * One field problem's message in a language. English pages show the API's own text
 * (what clients and tests know); other languages word the code, and a problem
 * without a known code says "is not valid" rather than show English.
 */
export function problemMessage(lang: Lang, p: Pick<FieldProblem, 'message' | 'code' | 'params'>): string {
  if (lang === 'en') return p.message;
  const template = p.code ? wording(lang, p.code) : undefined;
  return fillProblem(template ?? wording(lang, 'invalid')!, p.params, lang);
}

/** Form labels by field name (the last part of a dotted field also matches). */
export type FieldLabels = Readonly<Record<string, string>>;

/**
 * A field's name as a page shows it: the page's own label, else the catalogues'
 * `field.<name>` (the last part of a dotted name also matches), else the API's name.
 */
export function fieldLabel(lang: Lang, field: string, labels: FieldLabels = {}): string {
  const last = field.split('.').at(-1)!;
  return labels[field] ?? labels[last] ?? wording(lang, `field.${field}`) ?? wording(lang, `field.${last}`) ?? field;
}

/** Each bad field of a 422 named by the API's own name: what an English page shows where the API's text is kept whole. */
export function apiFieldLabels(err: unknown): FieldLabels {
  return err instanceof ValidationError ? Object.fromEntries(err.fields.map((f) => [f.field, f.field])) : {};
}

/**
 * An error as a line on a page: each bad field with its label and message (422), or
 * the error's own wording by code. Undefined for errors that are not the caller's
 * to see (5xx not exposed, or not an AppError at all).
 */
export function problemText(lang: Lang, err: unknown, labels: FieldLabels = {}): string | undefined {
  if (err instanceof ValidationError) return err.fields.map((f) => `${fieldLabel(lang, f.field, labels)}: ${problemMessage(lang, f)}`).join('; ');
  if (!(err instanceof AppError) || !err.expose) return undefined;
  if (lang === 'en') return err.message;
  // `params.key` names the wording when one API code covers several cases.
  const key = typeof err.params?.key === 'string' ? err.params.key : err.code;
  const template = wording(lang, key) ?? wording(lang, err.status === 409 ? 'conflict' : err.status === 403 ? 'forbidden' : err.status === 404 ? 'not_found' : 'invalid');
  return fillProblem(template!, err.params, lang);
}

/** The text of an error page: the middleware's message in English, the code's wording in other languages. */
export function errorPageText(lang: Lang, status: number, message: string, err?: AppError): string {
  if (lang === 'en' || !err) return message;
  if (err instanceof ValidationError || err.expose) return problemText(lang, err) ?? message;
  return wording(lang, err.code) ?? wording(lang, 'internal_error')!;
}
