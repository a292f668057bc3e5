import { parseConfig, type Config } from '../platform/config.js';
import { policyFindings, type PolicyFinding } from './policy.js';

/** The policy findings of a configuration against the built-in defaults (`config:check`, `serve`). */
export function retentionFindings(config: Readonly<Config>): PolicyFinding[] {
  return policyFindings(config.retention, parseConfig({}).retention);
}
