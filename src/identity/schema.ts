import { z } from 'zod';

/** Sign-in request: which namespace the name belongs to is explicit (local ≠ directory). */
export const signInBody = z.strictObject({
  username: z.string().trim().min(1).max(256),
  password: z.string().min(1).max(4096),
  source: z.enum(['directory', 'local']).optional(),
});

export const sessionStateSchema = z.enum(['authenticated', 'second_factor_required', 'totp_enrolment_required']);

export const sessionResponse = z.object({
  state: sessionStateSchema,
  csrf_token: z.string(),
});

export const secondFactorBody = z
  .strictObject({
    code: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional(),
    recovery_code: z.string().min(8).max(64).optional(),
  })
  .refine((b) => (b.code === undefined) !== (b.recovery_code === undefined), { message: 'give exactly one of code and recovery_code', path: ['code'], params: { code: 'code.one_of' } });

export const passwordBody = z.strictObject({ password: z.string().min(1).max(4096) });

export const totpEnrolmentResponse = z.object({
  secret: z.string(),
  otpauth_uri: z.string(),
  qr_svg: z.string(),
});

export const totpConfirmBody = z.strictObject({ code: z.string().regex(/^\d{6}$/, 'must be 6 digits') });

export const totpConfirmResponse = z.object({
  recovery_codes: z.array(z.string()).length(10),
  csrf_token: z.string(),
});

export const roleSchema = z.object({ role: z.enum(['employee', 'team_admin', 'auditor', 'operator', 'dpo', 'reports', 'payroll']), team: z.string().nullable(), reason: z.string() });

export const meResponse = z.object({
  id: z.uuid(),
  source: z.enum(['directory', 'local']),
  username: z.string(),
  display_name: z.string().nullable(),
  email: z.string().nullable(),
  roles: z.array(roleSchema),
  second_factor: z.object({ enrolled: z.boolean(), required: z.boolean(), recovery_codes_left: z.number().int() }),
});

export const sessionListResponse = z.object({
  sessions: z.array(z.object({
    id: z.uuid(),
    current: z.boolean(),
    created_at: z.string(),
    last_seen_at: z.string(),
    user_agent: z.string().nullable(),
  })),
});

export const idParams = z.object({ id: z.uuid() });

export const revokedResponse = z.object({ revoked: z.number().int() });
/** Sessions ended, and the personal API tokens that ended with them (so the owner knows which). */
export const accessRevokedResponse = z.object({
  revoked: z.number().int(),
  revoked_tokens: z.array(z.object({ id: z.uuid(), name: z.string() })),
});

/** An operator's confirmation that a person on hold may enrol a second factor. */
export const enrolmentAllowedResponse = z.object({ status: z.literal('ok'), lifted: z.boolean() });

export const passwordResetRequestBody = z.strictObject({ username: z.string().trim().min(1).max(256) });
export const passwordResetCompleteBody = z.strictObject({ token: z.string().min(20).max(200), new_password: z.string().min(1).max(4096) });
export const passwordChangeBody = z.strictObject({ current_password: z.string().min(1).max(4096), new_password: z.string().min(1).max(4096) });
export const acceptedResponse = z.object({ status: z.literal('accepted') });
export const okResponse = z.object({ status: z.literal('ok') });

export const tokenScopeSchema = z.enum(['entries:read', 'entries:write', 'capture']);
export const tokenCreateBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(tokenScopeSchema).min(1).max(3),
  expires_in_days: z.number().int().min(1).max(365).default(90),
});
const tokenFields = {
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(tokenScopeSchema),
  created_at: z.string(),
  expires_at: z.string(),
  last_used_at: z.string().nullable(),
};
export const tokenCreatedResponse = z.object({ ...tokenFields, token: z.string() });
export const tokenListResponse = z.object({ tokens: z.array(z.object(tokenFields)) });
