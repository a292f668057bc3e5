import { systemClock, type Clock } from '../platform/clock.js';
import type { DomainModule } from '../platform/module.js';
import type { ComplianceDeps } from './context.js';
import { compliancePages } from './pages.js';
import { registerComplianceApi } from './routes.js';

/**
 * The auditor's view as the appliance mounts it: the API under /api/v1/audit/* and
 * the pages under /audit (auditor role only; each read audited). The clock
 * defaults to the system's; `handlers` is the composition root's list of every
 * module's retention handlers, read at call time.
 */
export function complianceModule(input: Omit<ComplianceDeps, 'clock'> & { clock?: Clock }): DomainModule {
  const deps: ComplianceDeps = { ...input, clock: input.clock ?? systemClock };
  return {
    name: 'compliance',
    api: (api) => registerComplianceApi(api, deps),
    pages: compliancePages(deps),
  };
}
