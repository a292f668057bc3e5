import type PgBoss from 'pg-boss';
import type { Logger } from '../platform/logger.js';
import type { Config } from '../platform/config.js';
import type { DomainModule } from '../platform/module.js';
import { buildExport, buildQueued, expireExports, type ExportDeps } from './exports.js';
import { myDataPages } from './pages.js';
import { registerMyDataApi } from './routes.js';

/** The queue that builds "My data" downloads (one job per export; a minute sweep for strays). */
export const MYDATA_EXPORT_QUEUE = 'mydata.export';

/**
 * "My data" as the appliance mounts it: the API and pages, the export job (one job per
 * started export, sent through the running engine; a sweep every minute builds any
 * export whose job was never sent, e.g. started on a node without jobs) and the
 * housekeeping that empties expired downloads.
 */
export function mydataModule(deps: ExportDeps & { config: Readonly<Config>; logger: Logger }): DomainModule {
  const log = deps.logger.child({ module: 'mydata' });
  const engine: { boss?: PgBoss } = {};
  const send = async (exportId: string): Promise<void> => {
    // Only the export's id travels in the job: nothing personal in a job payload.
    if (engine.boss) await engine.boss.send(MYDATA_EXPORT_QUEUE, { exportId }, { singletonKey: exportId });
  };
  return {
    name: 'mydata',
    api: (api) => registerMyDataApi(api, deps, send),
    pages: myDataPages(deps, send),
    jobs: [{
      queue: MYDATA_EXPORT_QUEUE,
      cron: '* * * * *',
      handler: async (data) => {
        try {
          if (typeof data.exportId === 'string') log.info({ exportId: data.exportId, outcome: await buildExport(deps, data.exportId) }, 'my-data export');
          else {
            const built = await buildQueued(deps);
            if (built) log.info({ built }, 'my-data exports built by the sweep');
          }
        } catch (err) {
          // The row says 'failed'; a retry would find it no longer queued.
          log.error({ exportId: data.exportId, err: { name: (err as Error).name } }, 'my-data export failed');
        }
      },
    }],
    housekeeping: [() => expireExports(deps.db)],
    listeners: [
      async ({ boss }) => {
        engine.boss = boss;
        return { stop: async () => void (engine.boss = undefined) };
      },
    ],
  };
}
