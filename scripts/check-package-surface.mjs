#!/usr/bin/env node
// What each entry point of the package loads when it is imported, measured from esbuild's metafile
// of a bundle with code splitting (dynamic imports become chunks that load only when used), and
// the rules that keep entries light. Part of `npm run lint`; `--json` prints the counts.
//   wrt/gpu     the kernels, the GPU context and the platform's GPU lookup only
//   wrt/stream  the DataStream API only: no platform, no protocol codec
//   wrt/sdk     no jco (components), no NATS client, no head/HTTP server or node agent until used
import { build } from 'esbuild';

const ENTRIES = [
  {
    name: 'wrt/gpu (node)',
    file: 'gpu/node.ts',
    platform: 'node',
    only: [/^gpu\//, /^runtime\/errors\.ts$/, /^runtime\/platform\/node\/gpu\.ts$/],
  },
  {
    name: 'wrt/gpu (browser)',
    file: 'gpu/browser.ts',
    platform: 'browser',
    only: [/^gpu\//, /^runtime\/errors\.ts$/, /^runtime\/platform\/browser\/gpu\.ts$/],
  },
  {
    name: 'wrt/stream',
    file: 'sdk/datastream.ts',
    platform: 'neutral',
    // The checks of a source's watermark alignment are shared with the head's planner.
    only: [/^sdk\/datastream/, /^runtime\/errors\.ts$/, /^runtime\/stream\/alignment-spec\.ts$/],
  },
  {
    name: 'wrt/sdk (node)',
    file: 'sdk/node.ts',
    platform: 'node',
    never: [
      /node_modules\/@bytecodealliance\//,
      /node_modules\/@nats-io\//,
      /node_modules\/oxc-/,
      /^runtime\/launch\/node\/(embedded-cluster|local-cluster|head-server)/,
      /^runtime\/head\//,
      /^runtime\/node\//,
    ],
  },
  {
    name: 'wrt/sdk (browser)',
    file: 'sdk/browser.ts',
    platform: 'browser',
    never: [/node_modules\/@bytecodealliance\//, /node_modules\/@nats-io\//, /^runtime\/launch\//, /^runtime\/head\//, /^runtime\/node\//],
  },
];

const report = [];
const problems = [];
for (const e of ENTRIES) {
  const result = await build({
    entryPoints: [e.file],
    bundle: true,
    platform: e.platform,
    format: 'esm',
    splitting: true,
    outdir: 'surface-check-out',
    write: false,
    metafile: true,
    external: ['webgpu', 'node:*'],
    logLevel: 'silent',
  });
  // The entry chunk and the chunks it imports statically (shared code lands in those) load at
  // import; chunks reached only by import() load when used.
  const outputs = result.metafile.outputs;
  const loaded = new Set([Object.keys(outputs).find((k) => outputs[k].entryPoint)]);
  for (const k of loaded) for (const i of outputs[k].imports) if (i.kind === 'import-statement' && outputs[i.path]) loaded.add(i.path);
  const atImport = [...new Set([...loaded].flatMap((k) => Object.keys(outputs[k].inputs)))];
  const fromNpm = atImport.filter((m) => m.includes('node_modules/'));
  const packages = [...new Set(fromNpm.map((m) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(m)[1]))].sort();
  report.push({
    entry: e.name,
    modules: atImport.length,
    npmModules: fromNpm.length,
    packages,
    reachable: Object.keys(result.metafile.inputs).length,
  });
  for (const m of atImport) {
    if (e.only && !e.only.some((re) => re.test(m)))
      problems.push(`${e.name} loads ${m} at import; it may load only ${e.only.map(String).join(', ')}`);
    if (e.never?.some((re) => re.test(m))) problems.push(`${e.name} loads ${m} at import; load it with import() where it is used`);
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
else
  for (const r of report)
    console.log(
      `check-package-surface: ${r.entry}: ${r.modules} modules at import (${r.npmModules} from npm: ${r.packages.join(', ') || 'none'}), ${r.reachable} reachable`,
    );
if (problems.length) {
  for (const p of problems) console.error(`check-package-surface: ${p}`);
  process.exit(1);
}
