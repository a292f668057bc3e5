import { z } from 'zod';
import { cron, existingFile } from './config-values.js';

/**
 * The sections of the configuration about oversight of the appliance itself: who is
 * responsible for the processing (`privacy`), the alarms that feed the breach register
 * and the operators (`alarms`), and the `/metrics` endpoint (`metrics`). Part of
 * `configSchema` in src/platform/config.ts.
 */

/**
 * Who is responsible for the processing, for the privacy notice, the works-council pack
 * and the records of processing (GDPR art. 30(1)(a), 13(1)(a-b), 13(2)(d)). The
 * organisation's display name stays `ui.organisation_name` (the controller's name
 * unless `controller_name` gives the legal entity's). Unset contacts read "not configured".
 */
const mailAddress = z.email('must be a mail address such as privacy@example.org');
export const privacySchema = z
  .strictObject({
    controller_name: z.string().min(1).max(200).optional(),
    controller_address: z.string().min(1).max(500).optional(),
    controller_email: mailAddress.optional(),
    dpo_name: z.string().min(1).max(200).optional(),
    dpo_email: mailAddress.optional(),
    works_council_name: z.string().min(1).max(200).optional(),
    works_council_email: mailAddress.optional(),
    /**
     * Ask every signed-in person to confirm each notice version, and team admins to agree
     * to the confidentiality statement before opening other people's days. Off only where
     * people are informed another way; the works-council pack names it as weaker privacy.
     */
    require_acknowledgement: z.boolean().default(true),
    /** Where a person may lodge a complaint (GDPR art. 77). */
    supervisory_authority: z.string().min(1).max(300).default('Autoriteit Persoonsgegevens (autoriteitpersoonsgegevens.nl)'),
  })
  .prefault({});

/** Alarms (issue 13): thresholds of the suspected-breach and operational checks. */
export const alarmsSchema = z
  .strictObject({
    /** When the checks run (UTC cron). */
    check_cron: cron.default('*/10 * * * *'),
    /** The window reads, exports and failed jobs are counted over. */
    window_minutes: z.number().int().min(5).max(24 * 60).default(60),
    /** Reads of other people's days by one account in the window that raise an alarm. */
    reads_per_window: z.number().int().min(1).max(1_000_000).default(1000),
    /** Exports by one account in the window that raise an alarm. */
    exports_per_window: z.number().int().min(1).max(10_000).default(20),
    /** Failed sign-ins counted for one account (or one address) that raise an alarm. */
    failed_signins_account: z.number().int().min(1).max(10_000).default(10),
    failed_signins_address: z.number().int().min(1).max(100_000).default(50),
    /** Minutes an event may wait for a checkpoint before the (hourly) checkpoint job counts as missed. */
    checkpoint_late_minutes: z.number().int().min(61).max(7 * 24 * 60).default(130),
    /** The last `uurwerk backup` may be this old; 0 switches the check off. */
    backup_max_age_hours: z.number().int().min(0).max(24 * 90).default(26),
    /** Mail waiting this long in the outbox means the relay is unreachable. */
    mail_stuck_minutes: z.number().int().min(5).max(24 * 60).default(60),
  })
  .prefault({});

/** `/metrics` in the Prometheus text format: off unless enabled, then only with the bearer token from `token_file`. */
export const metricsSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** A file holding the scrape token (at least 32 characters); required when enabled. */
    token_file: existingFile.optional(),
  })
  .refine((m) => !m.enabled || m.token_file !== undefined, { path: ['token_file'], message: 'is required when metrics.enabled is true' })
  .prefault({});
