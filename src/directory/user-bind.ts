import { InvalidCredentialsError, type Client } from 'ldapts';
import type { DirectoryConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { openDirectoryClient } from './ldap.js';

/**
 * Checks a directory user's password by binding as them, on a connection of its own
 * opened like the sync's (LDAPS, or StartTLS, as configured). The password is never stored or logged.
 * Returns false for wrong credentials (and for a disabled AD account, which refuses
 * the bind); throws when no directory server can be reached, so an outage is not
 * mistaken for a wrong password.
 */
export async function bindAsUser(config: DirectoryConfig, dn: string, password: string, logger: Logger): Promise<boolean> {
  // An empty password would be an anonymous ("unauthenticated") bind that succeeds.
  if (!password) return false;
  let lastError: unknown;
  for (const url of config.urls) {
    let client: Client | undefined;
    try {
      client = await openDirectoryClient(url, config);
      await client.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      lastError = err;
      logger.warn({ module: 'directory', url, err: (err as Error).message }, 'directory sign-in bind failed');
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }
  throw new Error(`no directory server could check the password: ${(lastError as Error | undefined)?.message ?? 'none configured'}`);
}
