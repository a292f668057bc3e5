import type { DomainModule } from '../platform/module.js';
import { agentGate } from './agent-gate.js';
import type { CaptureDeps } from './context.js';
import { rawCaptureRetention } from './forget.js';
import { heartbeatIngest } from './ingest.js';
import { registerMyCaptureApi } from './my-capture.js';
import { capturePages } from './pages.js';
import { registerAwApi } from './routes.js';

/**
 * Automatic capture as the appliance mounts it: the ActivityWatch API for agents,
 * the employee's capture settings, and the `raw_capture` retention handler.
 */
export function captureModule(deps: CaptureDeps): DomainModule {
  // Two flush lanes at most (a quarter of the pool): the interactive requests keep the rest.
  const ingest = heartbeatIngest(deps.db, deps.keys, { lanes: Math.max(1, Math.min(2, Math.floor(deps.config.database.pool_max / 4))) });
  return {
    name: 'capture',
    // Agent requests worked on at once (`capture.agents_at_once`; 0: no limit, agent-gate.ts).
    admission: deps.config.capture.agents_at_once > 0 ? [agentGate(deps.config.capture.agents_at_once)] : [],
    api: (api) => {
      registerAwApi(api, deps, ingest);
      registerMyCaptureApi(api, deps);
    },
    pages: capturePages(deps),
    retention: [rawCaptureRetention(deps.keys)],
  };
}
