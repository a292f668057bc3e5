import type { DomainModule } from '../platform/http/app.js';
import type { AuthDeps } from './auth-service.js';
import { cookiePolicy, sessionMiddleware } from './http.js';
import { operatorPages } from './operator-pages.js';
import { identityPages } from './pages.js';
import { registerIdentityApi } from './routes.js';

/** The identity domain as the HTTP app mounts it: session middleware, API and pages. */
export function identityModule(deps: AuthDeps, tls: boolean): DomainModule {
  const policy = cookiePolicy(deps.config, tls);
  return {
    middleware: [sessionMiddleware(deps.db, deps.config, policy)],
    api: (api) => registerIdentityApi(api, deps, policy),
    pages: identityPages(deps, policy),
  };
}

/** The operator console (directory sync status, users and their roles). */
export function operatorModule(deps: AuthDeps): DomainModule {
  return { pages: operatorPages(deps) };
}
