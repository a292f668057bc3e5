import { parseConfig, type Config } from '../platform/config.js';
import { isLoopback } from '../platform/net.js';
import { retentionFindings } from '../retention/findings.js';
import type { ConfigFlag } from './schema.js';

/**
 * The configuration flags an auditor sees: every retention setting below its legal
 * minimum or longer than the default (the findings `config:check` prints), and the
 * settings that weaken privacy or security against the built-in defaults. Values
 * shown are periods, numbers and switches only: never a URL, a file path or its
 * content, so no password or key can leak through this view.
 */

/** The flags of a configuration, retention findings first. */
export function configFlags(config: Readonly<Config>): ConfigFlag[] {
  const defaults = parseConfig({});
  const flags: ConfigFlag[] = retentionFindings(config).map((f) => ({ key: f.key, kind: f.kind, setting: f.setting, reference: f.reference, message: f.message }));
  const weak = (key: string, setting: string, reference: string, message: string) => flags.push({ key, kind: 'privacy_weakening', setting, reference, message });
  if (!config.server.tls && !isLoopback(config.server.host)) {
    weak('server.tls', 'off', 'on', 'the server listens beyond this host without TLS: sessions and time data cross the network in clear unless a proxy terminates TLS');
  }
  if (config.directory.allow_plain_ldap) weak('directory.allow_plain_ldap', 'true', 'false', 'plain ldap:// is allowed: directory bind passwords may cross the network in clear');
  if (config.mail.tls === 'none') weak('mail.tls', 'none', defaults.mail.tls, 'mail to the relay is never encrypted');
  if (config.auth.session_idle_minutes > defaults.auth.session_idle_minutes) {
    weak('auth.session_idle_minutes', String(config.auth.session_idle_minutes), String(defaults.auth.session_idle_minutes), 'an unattended session stays open longer than the default');
  }
  if (config.auth.session_absolute_hours > defaults.auth.session_absolute_hours) {
    weak('auth.session_absolute_hours', String(config.auth.session_absolute_hours), String(defaults.auth.session_absolute_hours), 'a session lives longer than the default before a new sign-in');
  }
  return flags;
}
