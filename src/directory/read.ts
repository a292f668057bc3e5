import type { DirectoryConfig } from '../platform/config.js';
import { configDigest } from './digest.js';
import type { DirectoryUser } from './entry.js';
import type { DirectoryGroup } from './groups.js';
import type { DirectoryReader, ServerState } from './ldap.js';

/** What one run read from the directory, before anything is decided. */
export interface Read {
  mode: 'full' | 'incremental';
  server: ServerState;
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  deleted: Set<string>;
  /** Ids of users found outside every base DN (moved out, alone or with their OU) since the bookmark. */
  outOfScope: Set<string>;
  references: string[];
  /** Entries that could not be accounts: how many, and the first reason (logged; no names). */
  skipped: { count: number; firstReason: string | undefined };
}

/** The bookmark fields that decide between a full and an incremental run. */
export interface Bookmark {
  server_url: string;
  ds_service_name: string | null;
  invocation_id: string | null;
  highest_usn: string | null;
  config_digest: string | null;
}

/**
 * Reads what one run needs: everything (a full run) or, when the bookmark is from this
 * same server and configuration, only what changed since it — users and groups whose
 * uSNChanged moved, containers renamed or moved (their users and groups read again),
 * objects deleted, users moved out of the base DNs.
 */
export async function readDirectory(reader: DirectoryReader, prev: Bookmark | undefined, config: DirectoryConfig, full: boolean, started: Date): Promise<Read> {
  const server = await reader.serverState();
  const sameServer = prev !== undefined && prev.server_url === server.url && prev.ds_service_name === server.dsServiceName
    && prev.invocation_id === server.invocationId && prev.highest_usn !== null && server.highestUsn !== null && server.invocationId !== null;
  // A changed mapping or base is a full run: the stored groups and accounts were read for the old one.
  const sameConfig = prev?.config_digest === configDigest(config);
  const mode = full || !sameServer || !sameConfig ? 'full' : 'incremental';
  const sinceUsn = mode === 'incremental' ? prev!.highest_usn! : undefined;
  // A renamed or moved OU changes the DNs below it without touching those objects: re-read them.
  const under = sinceUsn ? await reader.containers({ sinceUsn, namingContext: server.namingContext }) : [];
  // The searches go out together on the one connection (LDAP multiplexes by message id).
  const [users, groups, deleted, outOfScope] = await Promise.all([
    reader.users({ sinceUsn, now: started, under }),
    reader.groups({ sinceUsn, namingContext: server.namingContext, under }),
    sinceUsn ? reader.deleted({ sinceUsn, namingContext: server.namingContext }) : Promise.resolve([]),
    sinceUsn ? reader.outOfScope({ sinceUsn, namingContext: server.namingContext, containers: under }) : Promise.resolve([]),
  ]);
  return {
    mode, server, users: users.users, groups, deleted: new Set(deleted), outOfScope: new Set(outOfScope), references: users.references,
    skipped: { count: users.skipped.length, firstReason: users.skipped[0]?.reason },
  };
}
