import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { repoRoot } from './helpers/env.js';

// The layers of the house, read from the import statements themselves (TypeScript's
// own pre-processor, so comments and strings do not count): a rule broken in src/
// fails here, whatever the code does at run time.

const root = repoRoot;
const src = path.join(root, 'src');

/** Every .ts file under a directory. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The top folder under src/ a file belongs to (`main` for files directly in src/). */
function folderOf(file: string): string {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : 'main';
}

interface Edge {
  from: string;
  to: string;
  /** Source file and import specifier, for the failure message. */
  file: string;
  spec: string;
  target: string;
}

/** Every import between files of src/ (relative specifiers only: packages are not layers). */
function importEdges(files: string[]): Edge[] {
  const edges: Edge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), ref.fileName).replace(/\.js$/, '.ts');
      if (!target.startsWith(src + path.sep)) continue;
      edges.push({ from: folderOf(file), to: folderOf(target), file: path.relative(root, file), spec: ref.fileName, target: path.relative(src, target) });
    }
  }
  return edges;
}

/** The folder cycles of a graph (one shortest witness per strongly connected group). */
function folderCycles(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.from !== e.to) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const start of [...next.keys()].sort()) {
    // Breadth-first from `start` back to itself gives the shortest cycle through it.
    const prev = new Map<string, string>();
    const queue = [start];
    let found: string[] | undefined;
    while (queue.length && !found) {
      const n = queue.shift()!;
      for (const m of [...(next.get(n) ?? [])].sort()) {
        if (m === start) {
          const path = [n];
          while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
          found = [...path, start];
          break;
        }
        if (!prev.has(m)) {
          prev.set(m, n);
          queue.push(m);
        }
      }
    }
    if (found) {
      const key = [...new Set(found)].sort().join(',');
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push(found);
      }
    }
  }
  return cycles;
}

const edges = importEdges(tsFiles(src));
const show = (es: Edge[]) => es.map((e) => `${e.file} imports ${e.spec}`);

test('the import reader sees the imports it should (a rule checked over nothing would pass trivially)', (t) => {
  t.true(edges.some((e) => e.from === 'app' && e.to === 'platform'));
  t.true(edges.some((e) => e.from === 'identity' && e.to === 'web'));
  const planted: Edge[] = [
    { from: 'a', to: 'b', file: 'x', spec: 'x', target: 'x' },
    { from: 'b', to: 'c', file: 'x', spec: 'x', target: 'x' },
    { from: 'c', to: 'a', file: 'x', spec: 'x', target: 'x' },
  ];
  t.deepEqual(folderCycles(planted), [['a', 'b', 'c', 'a']]);
});

test('there are no cycles between the folders of src/', (t) => {
  const cycles = folderCycles(edges);
  const witnesses = cycles.map((c) => {
    const hops = c.slice(1).map((to, i) => edges.find((e) => e.from === c[i] && e.to === to)!);
    return `${c.join(' → ')} (${show(hops).join('; ')})`;
  });
  t.deepEqual(witnesses, []);
});

test('platform is the ground floor: it imports nothing but platform', (t) => {
  t.deepEqual(show(edges.filter((e) => e.from === 'platform' && e.to !== 'platform')), []);
});

test('web is a leaf the domains use: it imports only platform', (t) => {
  t.deepEqual(show(edges.filter((e) => e.from === 'web' && e.to !== 'web' && e.to !== 'platform')), []);
});

test('only the command line and the entry point import the composition root', (t) => {
  t.deepEqual(show(edges.filter((e) => e.to === 'app' && !['app', 'cli', 'main'].includes(e.from))), []);
});

test("the directory never imports identity's repository (it asks identity to change identity's tables)", (t) => {
  t.deepEqual(show(edges.filter((e) => e.from === 'directory' && e.target === path.join('identity', 'repository.ts'))), []);
});

/**
 * The layers as README.md's Architecture section draws them, top to bottom: a folder
 * imports only folders below it. A new folder must be placed here (and in the README).
 */
const LAYERS = ['main', 'cli', 'app', 'ops', 'operator', 'compliance', 'transparency', 'capture', 'mydata', 'privacy', 'retention', 'directory', 'reports', 'timesheets', 'identity', 'audit', 'keys', 'web', 'platform'];

test('every folder of src/ has its place in the layers, and imports only folders below it', (t) => {
  const folders = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  t.deepEqual(folders.filter((f) => !LAYERS.includes(f)), [], 'place new folders in LAYERS and in the README drawing');
  t.deepEqual(show(edges.filter((e) => e.from !== e.to && LAYERS.indexOf(e.to) <= LAYERS.indexOf(e.from))), []);
});

test("the directory's code names none of identity's tables (it plans; identity reads and writes them)", (t) => {
  const tables = /(['"`])(accounts|role_assignments|team_scope_members|sessions|api_tokens|password_resets)\1/;
  const hits = tsFiles(path.join(src, 'directory')).flatMap((f) =>
    readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (tables.test(line) ? [`${path.relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
  );
  t.deepEqual(hits, []);
  t.true(tables.test("trx('accounts')"), 'the pattern finds a table name in a query');
});
