/** Why a sync did not apply. The first group are failures; the last two are safety-valve holds an operator can confirm. */
export type SyncProblemCode =
  | 'unreachable'
  | 'tls_failed'
  | 'bind_failed'
  | 'timeout'
  | 'connection_lost'
  | 'referral'
  | 'size_limit'
  | 'search_failed'
  | 'group_missing'
  | 'apply_failed'
  | 'zero_users'
  | 'mass_deactivation';

/** A directory problem with a stable code (stored on the run, shown by `ldap:status`). */
export class DirectorySyncError extends Error {
  constructor(
    readonly code: SyncProblemCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DirectorySyncError';
  }
}
