/**
 * Whether `path` starts with `prefix` (given in lower case), in any case: the routers
 * match paths case-insensitively, so checks in front of them must too.
 */
export function startsWithPath(path: string, prefix: string): boolean {
  return path.length >= prefix.length && path.slice(0, prefix.length).toLowerCase() === prefix;
}
