import { PRIVILEGED_ROLES } from '../identity/policy.js';
import type { Role } from '../identity/types.js';
import { configSchema, type Config } from '../platform/config.js';
import { CATEGORIES, CATEGORY_NAMES, policyFindings, type Anchor, type PolicyFinding, type RetentionCategory } from '../retention/policy.js';

/**
 * The facts a privacy notice, the works-council pack and the records of processing
 * are written from: all derived from the live configuration and the product's fixed
 * rules (roles, retention catalogue), never typed in by hand, so a changed setting
 * changes every text that mentions it. Wording lives in strings.ts (nl and en); these
 * are identifiers and values.
 */

/** Why the appliance processes personal data (GDPR art. 30(1)(b)). */
export const PURPOSES = ['working_time', 'review', 'payroll_invoicing', 'reports', 'capture', 'security', 'rights'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Whose data it holds (art. 30(1)(c)). */
export const PEOPLE = ['employees', 'role_holders', 'leavers', 'requesters'] as const;
export type PeopleCategory = (typeof PEOPLE)[number];

/** What it holds, each with the retention categories that govern it (art. 30(1)(c), (f)). */
export const DATA: Readonly<Record<string, readonly RetentionCategory[]>> = {
  account: ['leavers'],
  time_records: ['submitted_days', 'drafts'],
  raw_capture: ['raw_capture'],
  sign_in: ['sign_in_records'],
  audit: ['audit_events', 'alarms'],
  directory: ['directory_sync_runs'],
  mail: ['mail_outbox'],
  registers: ['requests', 'breaches'],
};
export type DataCategory = keyof typeof DATA;

/** Every role, in the order the notice explains them (who sees what). */
export const ROLES: readonly Role[] = ['employee', 'team_admin', 'reports', 'payroll', 'auditor', 'dpo', 'operator'];

/** The rights of a data subject with the place in the appliance where each is used. */
export const RIGHTS: ReadonlyArray<{ right: string; path: string }> = [
  { right: 'access', path: '/me/data' },
  { right: 'portability', path: '/me/data' },
  { right: 'who_read', path: '/timesheets/data-reads' },
  { right: 'rectification', path: '/timesheets' },
  { right: 'erasure', path: '/privacy/my-requests' },
  { right: 'restriction', path: '/privacy/my-requests' },
  { right: 'objection', path: '/privacy/my-requests' },
  { right: 'complaint', path: '' },
];

/** A contact as configured; null parts are "not configured". */
export interface Contact {
  name: string | null;
  email: string | null;
}

/** One retention category as the notice states it. */
export interface RetentionFact {
  category: RetentionCategory;
  /** The configured period ("7 years"). */
  period: string;
  /** The built-in default, to show where a site keeps data longer. */
  default: string;
  anchor: Anchor;
  legalMinimum: string | null;
  ground: string;
  atEnd: string;
}

/** How a role is granted: the directory groups of the configuration, or local accounts only. */
export interface RoleGrant {
  role: Role;
  groups: string[];
  /** For team admins: team name → admin groups. */
  teams?: Array<{ name: string; adminGroups: string[]; scope: string }>;
  secondFactor: boolean;
}

/** Everything the texts are generated from. */
export interface PrivacyFacts {
  controller: Contact & { address: string | null };
  dpo: Contact;
  worksCouncil: Contact;
  supervisoryAuthority: string;
  purposes: readonly Purpose[];
  people: readonly PeopleCategory[];
  data: Array<{ category: DataCategory; retention: RetentionCategory[] }>;
  roles: RoleGrant[];
  /** Transfers outside the organisation: none; the appliance has no external recipients. */
  transfers: [];
  retention: RetentionFact[];
  /** Report threshold: figures resting on fewer people are suppressed. */
  k: number;
  rights: ReadonlyArray<{ right: string; path: string }>;
  /** Every account must pass a second factor (else only the privileged roles). */
  secondFactorForAll: boolean;
  tls: boolean;
  /** Where the appliance connects to: the configured directory servers and mail relay (plus the database). */
  egress: { directory: string[]; mailRelay: string; externalDatabase: boolean };
  /** Settings below a legal minimum or longer than the default (weaker privacy). */
  findings: PolicyFinding[];
  /** Whether people are asked to confirm the notice (and admins the confidentiality statement). */
  acknowledgementRequired: boolean;
}

const DEFAULTS = configSchema.parse({});

/** The facts of this configuration. Pure: the same configuration gives the same facts. */
export function privacyFacts(config: Readonly<Config>): PrivacyFacts {
  const pc = config.privacy;
  const r = config.directory.roles;
  const groupsOf: Record<Role, readonly string[]> = {
    employee: r.employee_groups, team_admin: r.teams.flatMap((t) => t.admin_groups), auditor: r.auditor_groups,
    operator: r.operator_groups, dpo: r.dpo_groups, reports: r.reports_groups, payroll: r.payroll_groups,
  };
  const secondFactorForAll = config.auth.totp_required_for_all;
  return {
    controller: { name: pc.controller_name ?? config.ui.organisation_name, address: pc.controller_address ?? null, email: pc.controller_email ?? null },
    dpo: { name: pc.dpo_name ?? null, email: pc.dpo_email ?? null },
    worksCouncil: { name: pc.works_council_name ?? null, email: pc.works_council_email ?? null },
    supervisoryAuthority: pc.supervisory_authority,
    purposes: PURPOSES,
    people: PEOPLE,
    data: Object.entries(DATA).map(([category, retention]) => ({ category, retention: [...retention] })),
    roles: ROLES.map((role) => ({
      role,
      groups: [...groupsOf[role]],
      ...(role === 'team_admin'
        ? { teams: r.teams.map((t) => ({ name: t.name, adminGroups: [...t.admin_groups], scope: 'ou' in t.scope ? `OU ${t.scope.ou}` : t.scope.groups.join('; ') })) }
        : {}),
      secondFactor: secondFactorForAll || PRIVILEGED_ROLES.includes(role),
    })),
    transfers: [],
    retention: CATEGORY_NAMES.map((category) => ({
      category,
      period: config.retention[category],
      default: DEFAULTS.retention[category],
      anchor: CATEGORIES[category].anchor,
      legalMinimum: CATEGORIES[category].legalMinimum ?? null,
      ground: CATEGORIES[category].ground,
      atEnd: CATEGORIES[category].atEnd,
    })),
    k: config.reports.k,
    rights: RIGHTS,
    secondFactorForAll,
    tls: config.server.tls !== undefined,
    egress: { directory: [...config.directory.urls], mailRelay: `${config.mail.host}:${config.mail.port}`, externalDatabase: config.database.url !== undefined },
    findings: policyFindings(config.retention, DEFAULTS.retention),
    acknowledgementRequired: pc.require_acknowledgement,
  };
}

/**
 * The privacy-relevant settings, flat (`retention.drafts` → "12 months"): what a
 * notice version is made of. A change to any of these is a new version that everyone
 * is asked to read again; other settings (ports, log level) are not.
 */
export function privacySettings(config: Readonly<Config>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of CATEGORY_NAMES) out[`retention.${c}`] = config.retention[c];
  out['reports.k'] = String(config.reports.k);
  out['auth.totp_required_for_all'] = String(config.auth.totp_required_for_all);
  out['server.tls'] = config.server.tls ? 'on' : 'off';
  const roles = config.directory.roles;
  for (const key of ['employee_groups', 'auditor_groups', 'operator_groups', 'dpo_groups', 'reports_groups', 'payroll_groups'] as const) {
    out[`directory.roles.${key}`] = roles[key].join('; ');
  }
  out['directory.roles.teams'] = roles.teams.map((t) => `${t.name}: ${t.admin_groups.join(', ')} → ${'ou' in t.scope ? t.scope.ou : t.scope.groups.join(', ')}`).join('; ');
  out['directory.urls'] = config.directory.urls.join('; ');
  out['mail.host'] = config.mail.host;
  for (const [k, v] of Object.entries(config.privacy)) out[`privacy.${k}`] = String(v ?? '');
  out['ui.organisation_name'] = config.ui.organisation_name;
  return out;
}
