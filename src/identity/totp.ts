import { createHash, randomBytes } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';

/** TOTP parameters: RFC 6238 defaults every authenticator app understands. */
const PERIOD = 30;

/** A new random base32 secret (160 bits). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return generateURI({ issuer, label: account, secret, period: PERIOD });
}

/** The QR code of a URI as an SVG document, rendered on the server (no outside service). */
export async function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * Checks a code with ±1 step of clock drift. `afterStep` is the last step already
 * used: a code for that step or an earlier one is refused, so each code works once.
 * Returns the step the code belongs to, or undefined when it is not valid.
 */
export async function checkTotp(secret: string, token: string, afterStep: number, now = Date.now()): Promise<number | undefined> {
  if (!/^\d{6}$/.test(token)) return undefined;
  const result = await verify({ secret, token, period: PERIOD, epoch: Math.floor(now / 1000), epochTolerance: PERIOD, afterTimeStep: afterStep > 0 ? afterStep : undefined });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

/** The current code (tests and the enrolment self-check use it). */
export async function currentTotp(secret: string, now = Date.now()): Promise<string> {
  return generate({ secret, period: PERIOD, epoch: Math.floor(now / 1000) });
}

/** Ten single-use recovery codes of about 79 random bits each, formatted xxxx-xxxx-xxxx-xxxx. */
export function newRecoveryCodes(n = 10): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return Array.from({ length: n }, () => {
    const bytes = randomBytes(16);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return chars.match(/.{4}/g)!.join('-');
  });
}

/** Hash under which a recovery code is stored (formatting and case ignored). */
export function recoveryCodeHash(code: string): Buffer {
  return createHash('sha256').update(code.toLowerCase().replace(/[^a-z0-9]/g, '')).digest();
}
