/**
 * README.txt of the compliance export: what each file is and the exact commands that
 * verify the bundle with standard tools only (sh, openssl, sha256sum, sed, grep, cut).
 * The commands sit between the two marker lines, one per line, each to succeed (exit
 * 0) when run with `sh -c` in the unzipped folder; a test runs exactly these lines.
 */

/** The marker lines around the verification commands. */
export const COMMANDS_BEGIN = '--- verification commands (run each line in the unzipped folder; each must exit 0) ---';
export const COMMANDS_END = '--- end of verification commands ---';

const KEY = 'keys/audit-public-key.pem';

/** The verification commands, in order. */
export function verificationCommands(): string[] {
  const lastSeq = `sed 's/.*"last_seq":\\([0-9]*\\).*/\\1/' "$m"`;
  const head = `sed 's/.*"head_hash":"\\([0-9a-f]*\\)".*/\\1/' "$m"`;
  return [
    `openssl pkeyutl -verify -pubin -inkey ${KEY} -rawin -in manifest.json -sigfile manifest.sig`,
    `openssl pkeyutl -verify -pubin -inkey ${KEY} -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig`,
    'sha256sum --strict -c SHA256SUMS',
    `grep -q "\\"SHA256SUMS\\": \\"$(sha256sum SHA256SUMS | cut -c1-64)\\"" manifest.json`,
    `for m in audit/checkpoints/*.msg; do [ -e "$m" ] || continue; openssl pkeyutl -verify -pubin -inkey ${KEY} -rawin -in "$m" -sigfile "\${m%.msg}.sig" || exit 1; done`,
    `p=; for m in audit/checkpoints/*.msg; do [ -e "$m" ] || continue; if [ -n "$p" ]; then grep -q "\\"prev_checkpoint_hash\\":\\"$(sha256sum < "$p" | cut -c1-64)\\"" "$m" || exit 1; fi; p=$m; done`,
    `for m in audit/checkpoints/*.msg; do [ -e "$m" ] || continue; s=$(${lastSeq}); h=$(${head}); if grep -q "^{\\"type\\":\\"event\\",\\"seq\\":$s," audit/events.jsonl audit/events-after-period.jsonl; then grep -q "^{\\"type\\":\\"event\\",\\"seq\\":$s,.*\\"hash\\":\\"$h\\"}$" audit/events.jsonl audit/events-after-period.jsonl || exit 1; fi; done`,
  ];
}

/** What the README says about the export it travels in. */
export interface ReadmeFacts {
  createdAt: string;
  period: { from: string | null; to: string | null };
  events: number;
  eventsAfter: number;
  checkpoints: number;
  keyId: string;
  fingerprint: string;
  files: ReadonlyArray<{ name: string; what: string }>;
}

/** The README text. */
export function readmeText(f: ReadmeFacts): string {
  const period = `${f.period.from ?? 'the start of the log'} to ${f.period.to ?? 'the moment of export'}`;
  return `Uurwerk compliance export
=========================

Created ${f.createdAt} (UTC). Period: ${period} (event time, UTC days, both ends included).
Audit events of the period: ${f.events}; after the period up to the anchoring checkpoint: ${f.eventsAfter};
signed checkpoints: ${f.checkpoints}.

1. Pin the signing key
----------------------
Every signature in this bundle is made with the appliance's audit signing key
(Ed25519, key id ${f.keyId}). Its public half is ${KEY}. Its SHA-256 fingerprint
(of the DER form) is

  ${f.fingerprint}

Compare it with what the operator gives you out of band (\`uurwerk audit:public-key\`
prints it); a bundle signed by any other key proves nothing. To compute it yourself:

  openssl pkey -pubin -in ${KEY} -outform DER | sha256sum

2. Verify
---------
Unzip the bundle into an empty folder, change into it and run each of the lines below
with sh. Each must succeed (exit status 0; openssl prints "Signature Verified
Successfully", sha256sum prints "OK" per file). Any failure means the bundle was changed.

${COMMANDS_BEGIN}
${verificationCommands().join('\n')}
${COMMANDS_END}

What they check, in order: the signature over manifest.json; the signature over
SHA256SUMS; the SHA-256 of every other file; that manifest.json names the same
SHA256SUMS; every checkpoint's signature (audit/checkpoints/NNNNNN.msg are the exact
signed bytes, .sig the raw 64-byte signatures); that each checkpoint names the hash of
the one before it; and that each checkpoint's signed head hash is the hash of the event
it ends at, wherever that event is in this bundle (the anchors of the audit chain).

Recomputing every event's hash needs the canonical JSON of the event (keys sorted, no
whitespace; see src/audit/canonical.ts): each event's "hash" is the SHA-256 of the
canonical JSON of its fields without "hash" and "type", plus "v":1; its "prev_hash" is
the hash of the event before it. \`uurwerk audit:verify --file\` does this for a full
\`uurwerk audit:export\`.

3. Files
--------
${f.files.map((x) => `${x.name}\n    ${x.what}`).join('\n')}
SHA256SUMS, SHA256SUMS.sig
    SHA-256 of every file above (sha256sum format) and its Ed25519 signature
manifest.json, manifest.sig
    SHA-256 of every file above and of SHA256SUMS, and its Ed25519 signature

Personal details inside audit events stay encrypted ("personal"); this bundle holds
no key that decrypts them. The registers carry dates, states and deadlines, not the
text people wrote.
`;
}
