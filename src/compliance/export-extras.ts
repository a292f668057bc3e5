import { privacySettingsHistory, recordsOfProcessing, worksCouncilPackHtml } from '../transparency/module.js';
import { csvField } from '../platform/csv.js';
import { accessReview, type AccessReviewRow } from './access-review.js';
import type { BundleFile } from './bundle.js';
import { eventPeriod, type ComplianceDeps, type ExtraFiles } from './export-bundle.js';

/**
 * The files the sibling parts of the compliance domain add to the export: the access
 * review (access-review.ts: `access-review.json`/`.csv`) and the transparency module's
 * records of processing, works-council pack and privacy-settings history. Each is one
 * producer below; the CLI and the export job both take this list, so the two bundles
 * never differ.
 */


/** The access review as CSV, one account a line, its roles joined (role@team via group). */
export function accessReviewCsv(rows: readonly AccessReviewRow[]): string {
  const head = ['account_id', 'username', 'source', 'status', 'roles', 'last_sign_in_at', 'days_of_others_read', 'people_read'];
  const lines = rows.map((r) => [
    r.account_id, r.username, r.source, r.status,
    r.roles.map((x) => `${x.role}${x.team ? `@${x.team}` : ''} via ${x.group ?? x.source}`).join('; '),
    r.last_sign_in_at, r.days_of_others_read, r.people_read,
  ].map((v) => csvField(v ?? '', 'always')).join(','));
  return [head.join(','), ...lines].join('\r\n') + '\r\n';
}

/** `access-review.json` and `.csv` for the export's period (the whole log: from the first event's era to now). */
function accessReviewFiles(deps: Omit<ComplianceDeps, 'extraFiles'>): ExtraFiles {
  return async ({ period, now }) => {
    const range = eventPeriod(period);
    const review = { from: range.from ?? new Date(0), to: range.to && range.to < now ? range.to : now };
    const rows = await accessReview(deps.db, review);
    const files: BundleFile[] = [
      { name: 'access-review.json', what: 'every account with its roles and scope, the directory group granting each, last sign-in, and days of other people read in the period', source: JSON.stringify({ period: { from: review.from.toISOString(), to: review.to.toISOString() }, accounts: rows }, null, 2) + '\n' },
      { name: 'access-review.csv', what: 'the same access review as CSV (one account a line)', source: accessReviewCsv(rows) },
    ];
    return files;
  };
}

/**
 * The transparency module's documents: the records of processing (GDPR art. 30) from
 * the live configuration, the works-council pack (Dutch and English, standalone HTML)
 * and the history of the privacy-relevant settings (each version a notice version).
 * Read only: the export records no new settings version.
 */
function transparencyFiles(deps: Omit<ComplianceDeps, 'extraFiles'>): ExtraFiles {
  return async ({ now }) => {
    const records = recordsOfProcessing(deps.config, 'en');
    const history = await privacySettingsHistory(deps.db);
    return [
      { name: 'records-of-processing.json', what: 'records of processing (GDPR art. 30) generated from the live configuration: controller and privacy officer, purposes, categories of people and data, recipients, transfers, retention', source: JSON.stringify(records.json, null, 2) + '\n' },
      { name: 'records-of-processing.md', what: 'the same records of processing, readable', source: records.markdown },
      { name: 'works-council-pack.nl.html', what: 'the works-council pack (WOR art. 27(1)(l)), Dutch, printable', source: await worksCouncilPackHtml({ db: deps.db, config: deps.config }, 'nl', now) },
      { name: 'works-council-pack.en.html', what: 'the works-council pack, English, printable', source: await worksCouncilPackHtml({ db: deps.db, config: deps.config }, 'en', now) },
      { name: 'privacy-settings-history.json', what: 'every version of the privacy-relevant settings (each a new notice version), oldest first', source: JSON.stringify({ versions: history }, null, 2) + '\n' },
    ];
  };
}

/** Every producer of further files, in bundle order. */
export function complianceExtraFiles(deps: Omit<ComplianceDeps, 'extraFiles'>): ExtraFiles[] {
  return [accessReviewFiles(deps), transparencyFiles(deps)];
}
