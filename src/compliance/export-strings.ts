import type { Lang } from '../web/i18n.js';

/**
 * Dutch and English strings of the compliance export page. Kept beside the domain
 * (the shared catalogue in src/web/i18n.ts holds the layout's); both languages are complete.
 */
const en = {
  title: 'Compliance export',
  intro: 'One signed zip for the auditor: the audit events of the period with the signed checkpoints that anchor them and the public key, the technical and organisational measures as they stand, the request and breach registers with their deadlines, the retention state and the shred log. The README inside gives the openssl and sha256sum commands that verify it without Uurwerk.',
  from: 'First day (UTC, empty: the start of the log)',
  to: 'Last day (UTC, included; empty: now)',
  start: 'Build the export',
  exports: 'Your exports',
  none: 'No exports yet.',
  when: 'Started',
  period: 'Period',
  status: 'Status',
  progress: 'Progress',
  expires: 'Link expires',
  whole_log: 'whole log',
  export_title: 'Compliance export',
  get_zip: 'Download the zip (once)',
  link_lost: 'The download link is shown only to whoever started the export, on this page right after starting; start a new export if it is lost.',
  refresh: 'Refresh',
  back: 'Back to the compliance export',
  manifest: 'SHA-256 of manifest.json',
  state_queued: 'waiting',
  state_running: 'being built',
  state_ready: 'ready',
  state_fetched: 'downloaded',
  state_expired: 'expired',
  state_failed: 'failed',
};

const nl: Record<keyof typeof en, string> = {
  title: 'Compliance-export',
  intro: 'Eén ondertekende zip voor de auditor: de auditgebeurtenissen van de periode met de ondertekende controlepunten die ze verankeren en de publieke sleutel, de technische en organisatorische maatregelen zoals ze nu zijn, de verzoeken- en datalekregisters met hun termijnen, de bewaarstatus en het vernietigingslogboek. De README in de zip geeft de openssl- en sha256sum-opdrachten om hem zonder Uurwerk te controleren.',
  from: 'Eerste dag (UTC, leeg: het begin van het logboek)',
  to: 'Laatste dag (UTC, inbegrepen; leeg: nu)',
  start: 'Export maken',
  exports: 'Uw exports',
  none: 'Nog geen exports.',
  when: 'Gestart',
  period: 'Periode',
  status: 'Status',
  progress: 'Voortgang',
  expires: 'Link verloopt',
  whole_log: 'hele logboek',
  export_title: 'Compliance-export',
  get_zip: 'Zip downloaden (eenmalig)',
  link_lost: 'De downloadlink staat alleen direct na het starten op deze pagina, voor wie de export startte; start een nieuwe export als hij kwijt is.',
  refresh: 'Vernieuwen',
  back: 'Terug naar de compliance-export',
  manifest: 'SHA-256 van manifest.json',
  state_queued: 'wacht',
  state_running: 'wordt gemaakt',
  state_ready: 'klaar',
  state_fetched: 'gedownload',
  state_expired: 'verlopen',
  state_failed: 'mislukt',
};

/** A key of the compliance export strings. */
export type ExportKey = keyof typeof en;

/** Both catalogues, for the test that keeps them complete. */
export const EXPORT_STRINGS = { en, nl } as const;

/** The string in the language. */
export function t(lang: Lang, key: ExportKey): string {
  return (lang === 'nl' ? nl : en)[key];
}
