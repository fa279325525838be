#!/usr/bin/env node
// Finds import cycles among the project's TypeScript sources, type-only imports included
// (eslint's import-x/no-cycle, which `npm run lint` also runs, skips `import type`; a cycle of
// types still ties two modules' roles together). Prints each cycle and exits 1 when any exists.
// Tarjan's strongly connected components (R. Tarjan, "Depth-first search and linear graph
// algorithms", SIAM J. Comput. 1972).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const root = normalize(join(dirname(new URL(import.meta.url).pathname), '..'));
const ROOTS = ['runtime', 'sdk', 'gpu', 'bench', 'samples'];
const skip = (p) => p.includes('/generated/') || p.includes('/assembly/') || p.includes('/build/');
const walk = (d) =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    if (skip(p)) return [];
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
const files = ROOTS.flatMap((r) => (existsSync(join(root, r)) ? walk(join(root, r)) : []));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const target = normalize(join(dirname(f), m[1].replace(/\.js$/, '.ts')));
    if (existsSync(target)) deps.add(target);
  }
  graph.set(f, [...deps]);
}
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
const cycles = [];
function strong(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) cycles.push(scc.map((p) => relative(root, p)).sort());
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);
if (cycles.length) {
  console.error(`import cycles (type imports included): ${cycles.length}`);
  for (const c of cycles) console.error(`  ${c.join(' ↔ ')}`);
  process.exit(1);
}
console.log(`check-import-cycles: no cycles among ${graph.size} modules`);
