/**
 * Audit action names. Other modules record these; defining them in one place keeps
 * reports and filters from drifting. Names are `domain.object.verb` in the past
 * tense, lower case (the database checks the shape, not the list, so a module may
 * add its own names here when it starts recording them).
 */
export const AUDIT_ACTIONS = {
  // Authentication and sessions
  loginSucceeded: 'auth.login.succeeded',
  loginFailed: 'auth.login.failed',
  logout: 'auth.logout.succeeded',
  sessionRevoked: 'auth.session.revoked',
  totpEnrolled: 'auth.totp.enrolled',
  totpReset: 'auth.totp.reset',
  secondFactorSucceeded: 'auth.second_factor.succeeded',
  secondFactorFailed: 'auth.second_factor.failed',
  recoveryCodeUsed: 'auth.recovery_code.used',
  passwordResetRequested: 'auth.password_reset.requested',
  passwordResetCompleted: 'auth.password_reset.completed',
  passwordChanged: 'auth.password.changed',
  apiTokenCreated: 'auth.api_token.created',
  apiTokenRevoked: 'auth.api_token.revoked',
  totpEnrolmentHeld: 'auth.totp.enrolment_held',
  totpEnrolmentAllowed: 'auth.totp.enrolment_allowed',

  // Directory sync (src/directory)
  directorySyncApplied: 'directory.sync.applied',
  directorySyncBlocked: 'directory.sync.blocked',
  directorySyncFailed: 'directory.sync.failed',
  accountDisabled: 'identity.account.disabled',
  accountDeactivated: 'identity.account.deactivated',
  accountReenabled: 'identity.account.reenabled',

  // Keys (src/keys): the same names as KeyAction in src/keys/types.ts, which the keys
  // domain hands to the audit log through its KeyEventHook.
  keyringInitialised: 'keys.init',
  kekRotated: 'keys.rotate',
  kekRetired: 'keys.retire',
  keyringBackedUp: 'keys.backup',
  keyringRestored: 'keys.restore',
  dataKeysShredded: 'keys.shred',

  // The audit log itself
  auditExported: 'audit.log.exported',

  // Configuration and administration
  configChanged: 'config.setting.changed',
  accountCreated: 'admin.account.created',
  roleGranted: 'admin.role.granted',
  roleRevoked: 'admin.role.revoked',

  // Local people and teams, managed by operators (src/identity/local-people.ts, local-teams.ts)
  accountUpdated: 'admin.account.updated', // payload: the changed field names, never their content
  accountDeactivatedByOperator: 'admin.account.deactivated',
  accountReactivatedByOperator: 'admin.account.reactivated',
  setPasswordMailed: 'admin.account.set_password_mailed',
  teamCreated: 'admin.team.created',
  teamMemberAdded: 'admin.team.member_added',
  teamMemberRemoved: 'admin.team.member_removed',

  // Timesheets: the life of a day (src/timesheets)
  timesheetDaySubmitted: 'timesheet.day.submitted',
  timesheetDayReturned: 'timesheet.day.returned',
  timesheetDayApproved: 'timesheet.day.approved',
  timesheetDayReopened: 'timesheet.day.reopened',
  timesheetDayTakenBack: 'timesheet.day.taken_back', // a submitted day back to draft by its owner, before any reviewer opened it

  // Timesheets: every other change to time data and master data (src/timesheets).
  // Payloads name the changed fields, never their content.
  timesheetDayRedrafted: 'timesheet.day.redrafted', // a returned day back to draft as its owner corrects it
  timesheetEntryCreated: 'timesheet.entry.created',
  timesheetEntryChanged: 'timesheet.entry.changed',
  timesheetEntryDeleted: 'timesheet.entry.deleted',
  timesheetTimerStarted: 'timesheet.timer.started',
  timesheetTimerStopped: 'timesheet.timer.stopped',
  timesheetTimerSwitched: 'timesheet.timer.switched',
  timesheetSettingsChanged: 'timesheet.settings.changed',
  customerCreated: 'master_data.customer.created',
  projectCreated: 'master_data.project.created',
  projectArchived: 'master_data.project.archived',
  projectRestored: 'master_data.project.restored',
  taskCreated: 'master_data.task.created',
  masterDataImported: 'master_data.import.applied',

  // Reads of another person's data (a manager opening an employee's week, an export, ...)
  personalDataRead: 'privacy.personal_data.read',
  personalDataExported: 'privacy.personal_data.exported',
  personalDataErased: 'privacy.personal_data.erased',
  auditAged: 'audit.aged', // events removed up to a signed checkpoint (retention.audit_events)
  applianceDecommissioned: 'appliance.decommissioned', // recorded just before `uurwerk decommission` destroys everything
  retentionRun: 'retention.run',
  retentionHoldAdded: 'retention.hold_added',
  retentionHoldReleased: 'retention.hold_released',
  retentionErased: 'retention.erased',
  shredReplayed: 'keys.shred_replayed', // keys the shred ledger names, destroyed again after a restore or at start
  captureSettingsChanged: 'capture.settings.changed', // pause or exclusions changed (which fields, never the patterns)
  capturePeriodDeleted: 'capture.period.deleted', // the employee deleted captured days (dates and counts)
  captureBucketDeleted: 'capture.bucket.deleted',
  captureImported: 'capture.import.applied', // an ActivityWatch export imported (counts only)
  captureTemplatePublished: 'capture.template.published', // mapping rules shared with a team (team and count, never patterns)
  captureTemplateWithdrawn: 'capture.template.withdrawn',

  // My data (src/mydata): a person's export of everything held about them (art. 15/20)
  myDataExportRequested: 'privacy.my_data.export_requested',
  myDataExportBuilt: 'privacy.my_data.export_built',
  myDataExportDownloaded: 'privacy.my_data.export_downloaded',

  // The privacy officer's registers (src/privacy). Payloads name fields and states, never text.
  privacyRequestFiled: 'privacy.request.filed', // by the person it concerns
  privacyRequestRecorded: 'privacy.request.recorded', // by the privacy officer (letter, leaver, ...)
  privacyRequestIdentityChecked: 'privacy.request.identity_checked',
  privacyRequestExtended: 'privacy.request.extended',
  privacyRequestDecided: 'privacy.request.decided',
  privacyRequestExecuted: 'privacy.request.executed', // a granted erasure carried out
  privacyRequestClosed: 'privacy.request.closed', // the person was told
  privacyBreachRecorded: 'privacy.breach.recorded',
  privacyBreachAmended: 'privacy.breach.amended',
  privacyRemindersSent: 'privacy.reminders.sent',

  // The compliance export (src/compliance/export-*): started, built, fetched by an auditor; written by the CLI
  complianceExportStarted: 'compliance.export.started',
  complianceExportBuilt: 'compliance.export.built',
  complianceExportDownloaded: 'compliance.export.downloaded',
  complianceExportWritten: 'compliance.export.written',

  // The auditor's view (src/compliance): one event per page or API read, naming the view and its filters
  complianceAuditorRead: 'compliance.auditor.read',

  // Transparency (src/transparency): notice versions and acknowledgements (version numbers only).
  privacySettingsVersioned: 'transparency.settings.versioned', // privacy-relevant settings changed: a new notice version
  privacyNoticeAcknowledged: 'transparency.notice.acknowledged', // a person confirmed reading a notice version
  confidentialityAcknowledged: 'transparency.confidentiality.acknowledged', // an admin agreed to the confidentiality statement
  // Alarms, correction requests and register reads (issue 13, src/privacy, src/timesheets/corrections.ts)
  alarmRaised: 'privacy.alarm.raised', // an incident opened (kind, breach number, mails sent)
  alarmCleared: 'privacy.alarm.cleared', // its condition is gone
  privacyRegisterViewed: 'privacy.register.viewed', // a privacy officer or auditor read a register (view and filters, no content)
  // Restriction lifted (src/privacy/restriction.ts): the person counts in reports and inboxes again (days recorded again, no text).
  privacyRestrictionLifted: 'privacy.restriction.lifted',
  correctionRequested: 'timesheet.correction.requested', // the owner of a locked day asks for a correction
  correctionResolved: 'timesheet.correction.resolved', // the admin reopened the day for it, or declined
  // The timer widget (src/timesheets/timer.ts): project, task or note changed while it runs.
  timesheetTimerChanged: 'timesheet.timer.changed',
} as const;

/** One of the names above. */
export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** The shape every action name must have (the same rule as the CHECK constraint). */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;

/** Actor id for work the appliance does on its own (jobs, start, shutdown). */
export const SYSTEM_ACTOR = 'system';

/** Actor id for a command-line operator: `cli:<os user>`. */
export function cliActor(osUser: string): string {
  return `cli:${osUser}`;
}

/** Reports, billing and payroll (src/reports/): exports, rates, closed periods. */
export const REPORT_AUDIT_ACTIONS = {
  billingRateSet: 'billing.rate.set',
  billingCurrencySet: 'billing.currency.set',
  invoiceExported: 'billing.invoice.exported',
  invoicePeriodClosed: 'billing.period.closed',
  invoicedDayReopened: 'billing.closed_period.day_reopened',
  payrollExported: 'payroll.export.exported',
  payrollPeriodLocked: 'payroll.period.locked',
} as const;
