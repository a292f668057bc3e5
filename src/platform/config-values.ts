import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

/** Field validators shared by the sections of the configuration (src/platform/config.ts). */

/** A path to a file that must exist and be readable when the config is loaded. */
export const existingFile = z
  .string()
  .min(1)
  .refine((p) => existsSync(p) && statSync(p).isFile(), { message: 'file does not exist or is not a regular file' });

/** A cron expression (5 fields, UTC) as pg-boss accepts it. */
export const cron = z.string().regex(/^\S+(\s+\S+){4}$/, 'must be a cron expression with 5 fields');

/** An IP address or a CIDR block (IPv4 or IPv6), e.g. `10.0.0.5` or `10.0.0.0/8`. */
export const ipOrCidr = z.string().refine((v) => {
  const [addr = '', bits, ...rest] = v.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}, 'must be an IP address or a CIDR block such as 10.0.0.0/8');

/** Time zone names the runtime knows (IANA), checked when the configuration is read. */
export const timeZone = z.string().min(1).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone name such as Europe/Amsterdam');
