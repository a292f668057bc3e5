import type { DomainModule } from '../platform/module.js';
import type { AuthDeps } from '../identity/auth-service.js';
import { operatorPages } from './pages.js';

/**
 * The operator console: directory sync status, users and their roles, session
 * revocation. It reads from both identity and the directory, so it lives above
 * both and neither has to import the other.
 */
export function operatorModule(deps: AuthDeps): DomainModule {
  return { name: 'operator', pages: operatorPages(deps) };
}
