import { systemClock, type Clock } from '../platform/clock.js';
import type { DomainModule } from '../platform/module.js';
import type { PrivacyDeps } from './context.js';
import { registerPrivacyApi } from './routes.js';

/**
 * The privacy officer's registers as the appliance mounts and runs them: the API,
 * the pages, the reminder job and the retention handlers for closed requests and
 * breaches. The clock defaults to the system's; `erasePerson` is wired by the
 * composition root once the erase service exists.
 */
export function privacyModule(input: Omit<PrivacyDeps, 'clock'> & { clock?: Clock }): DomainModule {
  const deps: PrivacyDeps = { ...input, clock: input.clock ?? systemClock };
  return {
    name: 'privacy',
    api: (api) => registerPrivacyApi(api, deps),
  };
}
