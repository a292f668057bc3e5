#!/usr/bin/env node
/** The `uurwerk` command. */
import { runCli } from './cli/index.js';

// A reader that stops early (`uurwerk --help | head`) closes the pipe: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv);
process.exitCode = code;
// Everything is closed by now; a lingering handle (a library timer) must not keep a
// stopped server alive, so leave at the latest two seconds after the command ends.
setTimeout(() => process.exit(code), 2000).unref();
