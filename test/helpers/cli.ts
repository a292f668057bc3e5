import { spawn, type ChildProcess } from 'node:child_process';
import { nodeScript, repoRoot } from './env.js';
import { answers200, waitUntil } from './wait.js';

const root = repoRoot;
/** `uurwerk` as node arguments: this run's compiled .test-build/src/main.js, or src/main.ts through tsx. */
const main = nodeScript('src/main.ts');

/** Result of one finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `uurwerk ARGS` (compiled by test/run.ts, or from source through tsx) to completion. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...main, ...args], {
      cwd: root, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`uurwerk ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A long-running `uurwerk serve` child whose output is collected. */
export interface ServeProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `uurwerk serve --config FILE` in the background. */
export function spawnServe(configFile: string): ServeProcess {
  const child = spawn(process.execPath, [...main, 'serve', '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls a URL until it answers 200 or the time is up; returns whether it did. */
export async function waitFor200(url: string, timeoutMs: number): Promise<boolean> {
  return waitUntil(() => answers200(url), { timeoutMs, what: `${url} to answer 200` }).then(() => true, () => false);
}

/**
 * Waits until `url` answers 200 from the served process; fails at once, with the
 * process's output, if it exits first, and after `timeoutMs` otherwise.
 */
export async function waitForServe(serve: ServeProcess, url: string, timeoutMs = 30_000): Promise<void> {
  let exited = false;
  void serve.exited.then(() => (exited = true));
  try {
    await waitUntil(async () => {
      if (exited) throw new Error(`uurwerk serve exited before ${url} answered 200`);
      return answers200(url);
    }, { timeoutMs, what: `${url} to answer 200`, intervalMs: 100 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${serve.output()}`);
  }
}
