import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';

/** Field validators shared by the sections of the configuration (src/platform/config.ts). */

/** A path to a file that must exist and be readable when the config is loaded. */
export const existingFile = z
  .string()
  .min(1)
  .refine((p) => existsSync(p) && statSync(p).isFile(), { message: 'file does not exist or is not a regular file' });

/** A cron expression (5 fields, UTC) as pg-boss accepts it. */
export const cron = z.string().regex(/^\S+(\s+\S+){4}$/, 'must be a cron expression with 5 fields');
