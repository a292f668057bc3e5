import { z } from 'zod';

/**
 * Request and response shapes of the operator's local people and teams, shared by the
 * API (src/identity/local-people-routes.ts) and the operator page's forms.
 */

/** Roles an operator gives globally; team admin goes per team (`admin_of`). */
export const GLOBAL_ROLES = ['employee', 'operator', 'auditor', 'dpo', 'reports', 'payroll'] as const;

const teamName = z.string().min(1).max(63);

/** A new local person (a set-password mail goes to `email`). */
export const personCreateBody = z.strictObject({
  username: z.string().min(1).max(64),
  display_name: z.string().min(1).max(200).optional(),
  email: z.email().max(254),
  roles: z.array(z.enum(GLOBAL_ROLES)).max(GLOBAL_ROLES.length).optional(),
  teams: z.array(teamName).max(50).optional(),
  admin_of: z.array(teamName).max(50).optional(),
});

/** Changes to a person: lists replace that person's local rows (directory rows stay). */
export const personUpdateBody = z.strictObject({
  display_name: z.string().min(1).max(200).optional(),
  email: z.email().max(254).nullable().optional(),
  roles: z.array(z.enum(GLOBAL_ROLES)).max(GLOBAL_ROLES.length).optional(),
  teams: z.array(teamName).max(50).optional(),
  admin_of: z.array(teamName).max(50).optional(),
});

/** One role to grant or revoke locally; `team` only with team_admin. */
export const roleGrantBody = z.strictObject({
  role: z.enum(['employee', 'team_admin', 'operator', 'auditor', 'dpo', 'reports', 'payroll']),
  team: teamName.optional(),
});

/** A new local team. */
export const teamCreateBody = z.strictObject({ name: teamName });

/** A team named in the path. */
export const teamParams = z.object({ name: teamName });

/** A team and a member named in the path. */
export const teamMemberParams = z.object({ name: teamName, id: z.uuid() });

/** Who to put in a team. */
export const teamMemberBody = z.strictObject({ account_id: z.uuid() });

/** A person as the operator sees them: no time data, every role and team with who manages it. */
export const personResponse = z.object({
  id: z.string(),
  username: z.string(),
  source: z.enum(['directory', 'local']),
  status: z.enum(['active', 'disabled', 'deactivated']),
  display_name: z.string().nullable(),
  email: z.string().nullable(),
  roles: z.array(z.object({ role: z.string(), team: z.string().nullable(), reason: z.string(), source: z.enum(['directory', 'local']) })),
  teams: z.array(z.object({ team: z.string(), via: z.string(), source: z.enum(['directory', 'local']) })),
});

/** A person just created, and whether the set-password mail was queued. */
export const personCreatedResponse = personResponse.extend({ set_password_mailed: z.boolean() });

/** Every team with its size. */
export const teamListResponse = z.object({
  teams: z.array(z.object({ name: z.string(), source: z.enum(['directory', 'local']), members: z.number(), admins: z.number() })),
});

/** Whether an idempotent change changed anything. */
export const changedResponse = z.object({ changed: z.boolean() });
