/**
 * The CLI's output helper: results go to stdout, problems to stderr. Log lines of
 * a running server go through pino instead.
 */
export const out = {
  line(text = ''): void {
    process.stdout.write(text + '\n');
  },
  error(text: string): void {
    process.stderr.write(text + '\n');
  },
};

/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The configuration (or the environment it names) is unusable: BSD sysexits EX_CONFIG. */
  config: 78,
} as const;
