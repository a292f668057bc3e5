import { createHash, randomBytes } from 'node:crypto';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { AppError, ValidationError } from '../platform/errors.js';
import { enqueueMail } from '../platform/mail/outbox.js';
import type { AuthDeps, RequestMeta } from './auth-service.js';
import { holdEnrolmentAfterReset } from './enrolment-hold.js';
import { hashPassword, passwordFieldProblem } from './passwords.js';
import type { AccountRow } from './repository.js';
import { recordEndedTokens, revokeAccess } from './sessions.js';
import { assertNotThrottled, recordFailure, throttleKeys } from './throttle.js';

/** Only the SHA-256 of a reset token is stored: a database reader cannot use one. */
export function resetTokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Asks for a reset link. The answer must not tell whether the account exists, so it
 * waits only for work that is the same on every path (the throttle check and count,
 * keyed by the name as typed); looking the account up and writing the token and the
 * mail happen after the answer (`sendResetMail`), and their errors are only logged.
 * Resolves with that work, for tests and for callers that want to wait.
 */
export async function requestPasswordReset(deps: AuthDeps, username: string, meta: RequestMeta): Promise<{ settled: Promise<void> }> {
  const keys = throttleKeys('reset', username, meta.address);
  await assertNotThrottled(deps.db, [keys.account, keys.address]);
  await recordFailure(deps.db, keys.account, 3, deps.config.auth); // at most a few mails per window
  const settled = sendResetMail(deps, username, meta).catch((err: unknown) => {
    deps.logger.child({ module: 'identity' }).error({ err }, 'password reset mail could not be prepared');
  });
  return { settled };
}

/**
 * Sends a single-use, expiring reset link to an active local account's mail address
 * (through the outbox, sealed). Does nothing for an unknown name or an account
 * without a mail address. Runs after the request has been answered.
 */
export async function sendResetMail(deps: AuthDeps, username: string, meta: RequestMeta): Promise<void> {
  const account = (await deps.db('accounts').where({ source: 'local', status: 'active' }).andWhereRaw('lower(username) = lower(?)', [username]).first()) as AccountRow | undefined;
  if (!account?.email) return;
  const token = randomBytes(32).toString('base64url');
  const base = deps.config.server.public_url ?? `http://${deps.config.server.host}:${deps.config.server.port}`;
  await deps.db.transaction(async (trx) => {
    await trx('password_resets').where({ account_id: account.id }).whereNull('used_at').update({ used_at: trx.fn.now() });
    await trx('password_resets').insert({
      token_hash: resetTokenHash(token), account_id: account.id,
      expires_at: trx.raw(`now() + make_interval(mins => ?)`, [deps.config.auth.password_reset_minutes]),
    });
    await enqueueMail(trx, {
      to: [account.email!],
      subject: 'Uurwerk: reset your password / wachtwoord opnieuw instellen',
      text: [
        `A password reset was requested for ${account.username}. The link works once, for ${deps.config.auth.password_reset_minutes} minutes:`,
        `${base.replace(/\/$/, '')}/password-reset?token=${token}`,
        '',
        `Er is gevraagd het wachtwoord van ${account.username} opnieuw in te stellen. De link werkt één keer, ${deps.config.auth.password_reset_minutes} minuten lang.`,
        '',
        'If you did not ask for this, ignore this mail. / Heeft u hier niet om gevraagd, negeer dan deze mail.',
      ].join('\n'),
    }, { cipher: deps.keys }); // the link is a secret: it rests only sealed, and only until delivered
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.passwordResetRequested, actorId: 'anonymous', subjectId: account.id, personal: { address: meta.address } });
  });
}

/**
 * Sets a new password with a reset token. All sessions of the account end, and no
 * session is created: the person signs in again, second factor included.
 */
export async function completePasswordReset(deps: AuthDeps, token: string, newPassword: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const reset = await trx('password_resets')
      .where({ token_hash: resetTokenHash(token) })
      .whereNull('used_at')
      .andWhere('expires_at', '>', trx.fn.now())
      .forUpdate()
      .first();
    if (!reset) throw new AppError(400, 'invalid_token', 'This reset link is not valid (expired or already used)');
    const account = (await trx('accounts').where({ id: reset.account_id }).first()) as AccountRow;
    const problem = passwordFieldProblem('new_password', newPassword, account.username);
    if (problem) throw new ValidationError([problem]);
    await trx('local_credentials').where({ account_id: account.id }).update({ password_hash: await hashPassword(newPassword), password_changed_at: trx.fn.now() });
    await trx('password_resets').where({ token_hash: reset.token_hash }).update({ used_at: trx.fn.now() });
    const ended = await revokeAccess(trx, account.id, 'password reset');
    await deps.audit.record(trx, { action: AUDIT_ACTIONS.passwordResetCompleted, actorId: account.id, subjectId: account.id });
    await holdEnrolmentAfterReset(trx, deps.audit, account.id);
    await recordEndedTokens(deps.audit, trx, account.id, account.id, 'password reset', ended);
  });
}
