import path from 'node:path';
import type PgBoss from 'pg-boss';
import type { Logger } from '../platform/logger.js';
import type { DomainModule } from '../platform/module.js';
import type { ComplianceDeps } from './export-bundle.js';
import { complianceExtraFiles } from './export-extras.js';
import { buildAllQueued, buildQueuedExport, expireComplianceExports, type ExportJobDeps } from './export-job.js';
import { complianceExportPages } from './export-pages.js';
import { registerComplianceExportApi } from './export-routes.js';

/** The queue that builds compliance exports (one job per export; a minute sweep for strays). */
export const COMPLIANCE_EXPORT_QUEUE = 'compliance.export';

/**
 * The compliance export as the appliance mounts it: the API and page at
 * `/audit/export` (auditors only), the build job (one per started export, sent through
 * the running engine; a minute sweep builds any export whose job was never sent) and
 * the housekeeping that removes fetched and expired zips.
 */
export function complianceExportModule(deps: Omit<ComplianceDeps, 'extraFiles'> & { logger: Logger }): DomainModule {
  const log = deps.logger.child({ module: 'compliance' });
  const jobDeps: ExportJobDeps = { ...deps, extraFiles: complianceExtraFiles(deps), dir: path.join(deps.config.data_dir, 'compliance-exports') };
  const engine: { boss?: PgBoss } = {};
  const send = async (exportId: string): Promise<void> => {
    if (engine.boss) await engine.boss.send(COMPLIANCE_EXPORT_QUEUE, { exportId }, { singletonKey: exportId });
  };
  return {
    name: 'compliance-export',
    api: (api) => registerComplianceExportApi(api, jobDeps, send),
    pages: complianceExportPages(jobDeps, send),
    jobs: [{
      queue: COMPLIANCE_EXPORT_QUEUE,
      cron: '* * * * *',
      handler: async (data) => {
        try {
          if (typeof data.exportId === 'string') log.info({ exportId: data.exportId, outcome: await buildQueuedExport(jobDeps, data.exportId) }, 'compliance export');
          else {
            const built = await buildAllQueued(jobDeps);
            if (built) log.info({ built }, 'compliance exports built by the sweep');
          }
        } catch (err) {
          log.error({ exportId: data.exportId, err: { name: (err as Error).name } }, 'compliance export failed');
        }
      },
    }],
    housekeeping: [() => expireComplianceExports(jobDeps)],
    listeners: [
      async ({ boss }) => {
        engine.boss = boss;
        return { stop: async () => void (engine.boss = undefined) };
      },
    ],
  };
}
