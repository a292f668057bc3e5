import type { AuditLog } from '../audit/service.js';
import type { Config } from '../platform/config.js';
import type { Knex } from '../platform/db.js';
import type { SettingsVersion } from './versions.js';

/** What the transparency module needs, passed explicitly. */
export interface TransparencyDeps {
  db: Knex;
  config: Readonly<Config>;
  audit: AuditLog;
  /** The notice version in force (stored on first use; see versions.ts). */
  currentVersion: () => Promise<SettingsVersion>;
}

/**
 * The version of the confidentiality statement's text (strings `conf.*`). Raise it when
 * the text changes in substance: every admin is then asked to agree again.
 */
export const CONFIDENTIALITY_VERSION = 1;
