import type { Lang } from '../web/i18n.js';

/**
 * Readable words for "who saw my data" and "what changed in my data": the audit log
 * stores codes (`timesheet.entry.changed`, `time_entry`, `project_id`); the owner
 * reads nouns and verbs in their language. An unknown code reads as its words.
 */
type Words = Record<string, { nl: string; en: string }>;

const NOUNS: Words = {
  entry: { nl: 'Boeking', en: 'Entry' }, time_entry: { nl: 'Boeking', en: 'Entry' },
  day: { nl: 'Dag', en: 'Day' }, timesheet_day: { nl: 'Dag', en: 'Day' }, day_summary: { nl: 'Dagoverzicht', en: 'Day summary' },
  timer: { nl: 'Timer', en: 'Timer' }, running_timer: { nl: 'Timer', en: 'Timer' },
  settings: { nl: 'Instellingen', en: 'Settings' }, account: { nl: 'Account', en: 'Account' },
  session: { nl: 'Sessie', en: 'Session' }, login: { nl: 'Aanmelding', en: 'Sign-in' }, logout: { nl: 'Afmelding', en: 'Sign-out' },
  role: { nl: 'Rol', en: 'Role' }, totp: { nl: 'Tweede factor', en: 'Second factor' }, password: { nl: 'Wachtwoord', en: 'Password' },
  token: { nl: 'API-token', en: 'API token' }, request: { nl: 'Verzoek', en: 'Request' }, personal_data: { nl: 'Persoonsgegevens', en: 'Personal data' },
  export: { nl: 'Export', en: 'Export' }, report: { nl: 'Rapport', en: 'Report' }, data: { nl: 'Gegevens', en: 'Data' },
  scope: { nl: 'Bereik', en: 'Scope' }, team: { nl: 'Team', en: 'Team' }, capture: { nl: 'Automatische registratie', en: 'Automatic capture' },
  recovery_codes: { nl: 'Herstelcodes', en: 'Recovery codes' }, hold: { nl: 'Bewaarplicht', en: 'Legal hold' }, erasure: { nl: 'Wissing', en: 'Erasure' },
};

const VERBS: Words = {
  created: { nl: 'aangemaakt', en: 'created' }, changed: { nl: 'gewijzigd', en: 'changed' }, deleted: { nl: 'verwijderd', en: 'deleted' },
  started: { nl: 'gestart', en: 'started' }, stopped: { nl: 'gestopt', en: 'stopped' }, switched: { nl: 'overgestapt', en: 'switched' },
  submitted: { nl: 'ingediend', en: 'submitted' }, returned: { nl: 'teruggestuurd', en: 'returned' }, approved: { nl: 'goedgekeurd', en: 'approved' },
  reopened: { nl: 'heropend', en: 'reopened' }, redrafted: { nl: 'weer concept', en: 'back to draft' }, read: { nl: 'ingezien', en: 'read' },
  succeeded: { nl: 'gelukt', en: 'succeeded' }, failed: { nl: 'mislukt', en: 'failed' }, revoked: { nl: 'ingetrokken', en: 'revoked' },
  granted: { nl: 'toegekend', en: 'granted' }, removed: { nl: 'verwijderd', en: 'removed' }, enrolled: { nl: 'ingesteld', en: 'set up' },
  confirmed: { nl: 'bevestigd', en: 'confirmed' }, reset: { nl: 'opnieuw ingesteld', en: 'reset' }, exported: { nl: 'geëxporteerd', en: 'exported' },
  erased: { nl: 'gewist', en: 'erased' }, restricted: { nl: 'beperkt', en: 'restricted' }, filed: { nl: 'ingediend', en: 'filed' },
  used: { nl: 'gebruikt', en: 'used' }, deactivated: { nl: 'gedeactiveerd', en: 'deactivated' }, updated: { nl: 'bijgewerkt', en: 'updated' },
};

const FIELDS: Words = {
  project_id: { nl: 'project', en: 'project' }, task_id: { nl: 'taak', en: 'task' }, note: { nl: 'notitie', en: 'note' },
  start: { nl: 'begin', en: 'start' }, end: { nl: 'einde', en: 'end' }, date: { nl: 'datum', en: 'date' }, minutes: { nl: 'duur', en: 'duration' },
  started_at: { nl: 'starttijd', en: 'start time' }, state: { nl: 'status', en: 'state' },
  approved_at: { nl: 'goedgekeurd op', en: 'approved at' }, approved_by: { nl: 'goedgekeurd door', en: 'approved by' },
  submitted_at: { nl: 'ingediend op', en: 'submitted at' }, returned_at: { nl: 'teruggestuurd op', en: 'returned at' }, returned_by: { nl: 'teruggestuurd door', en: 'returned by' }, time_zone: { nl: 'tijdzone', en: 'time zone' }, comment: { nl: 'opmerking', en: 'comment' },
};

const words = (code: string) => code.replace(/_/g, ' ');

/** A noun code (object type, what was read) in the reader's language. */
export function nounLabel(l: Lang, code: string | null): string {
  if (!code) return '';
  return NOUNS[code]?.[l] ?? words(code);
}

/** An audit action (`timesheet.entry.changed`) as "Entry changed" / "Boeking gewijzigd". */
export function actionLabel(l: Lang, action: string): string {
  const parts = action.split('.');
  const verb = parts[parts.length - 1] ?? '';
  const noun = [...parts.slice(1, -1)].reverse().find((p) => NOUNS[p]) ?? parts[parts.length - 2] ?? parts[0] ?? '';
  return `${nounLabel(l, noun)} ${VERBS[verb]?.[l] ?? words(verb)}`;
}

/** Changed field names in the reader's language. */
export function fieldLabels(l: Lang, fields: readonly string[]): string {
  return fields.map((f) => FIELDS[f]?.[l] ?? words(f)).join(', ');
}
