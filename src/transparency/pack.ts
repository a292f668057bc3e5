import type { AuditLog } from '../audit/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import { html } from '../web/html.js';
import type { Lang } from '../web/i18n.js';
import { privacyFacts } from './facts.js';
import { tr } from './strings.js';
import { ensurePrivacySettingsVersion, privacySettingsHistory } from './versions.js';
import { packView } from './views.js';

/** Print layout of the pack as a file of its own (the zip has no /static). Kept in step with static/transparency.css. */
const PACK_CSS = `body{font:11pt/1.4 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;color:#111}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .4rem;text-align:left;vertical-align:top}
.muted{color:#555}section{break-inside:avoid-page}h2{break-after:avoid-page}@page{margin:18mm}`;

/**
 * The works-council pack as one standalone HTML document (for the compliance export's
 * zip): the same content as the page, with its print style inline since the file is
 * opened outside the appliance. With `audit`, the configuration's settings are stored
 * as a version first (as the running appliance does on its first request), so the
 * history ends with the settings the pack describes.
 */
export async function worksCouncilPackHtml(deps: { db: Knex; config: Readonly<Config>; audit?: AuditLog }, lang: Lang, now = new Date()): Promise<string> {
  if (deps.audit) await ensurePrivacySettingsVersion(deps.db, deps.audit, deps.config);
  const facts = privacyFacts(deps.config);
  const body = packView(lang, facts, await privacySettingsHistory(deps.db), now);
  return '<!doctype html>\n' + html`<html lang="${lang}"><head><meta charset="utf-8"><title>${tr(lang, 'pack.title')} · ${facts.controller.name}</title>
<style>${PACK_CSS}</style></head><body>${body}</body></html>
`.value;
}
