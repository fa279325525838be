#!/usr/bin/env node
// Checks that every export of the package's entry points (package.json "exports": wrt/sdk,
// wrt/stream, wrt/gpu, Node and browser conditions) has a TSDoc comment, and so does every public
// method and property of the classes among them. Part of `npm run lint`.
// Uses the TypeScript compiler API (typescript@5.9; typescript@7 has none, see TOOLCHAIN.md).
import ts from 'typescript';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
/** dist/x/y.js (or .d.ts) → x/y.ts, the source the export is compiled from. */
const sourceOf = (p) => p.replace(/^\.\/dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts');
const entries = new Set();
for (const [name, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object') continue;
  for (const [cond, file] of Object.entries(target)) if (cond !== 'types') entries.add(sourceOf(file));
  void name;
}
// The browser bundles (dist/browser/*.js) are built from sdk/browser.ts.
const files = [...entries].map((f) => (f === 'browser/sdk.ts' ? 'sdk/browser.ts' : f));

const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
const program = ts.createProgram(files, config.options);
const checker = program.getTypeChecker();
const missing = [];
const seen = new Set();

const hasDoc = (sym) => sym.getDocumentationComment(checker).length > 0 || sym.getJsDocTags(checker).length > 0;
const where = (decl) => {
  const sf = decl.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(decl.getStart());
  return `${relative(process.cwd(), sf.fileName)}:${line + 1}`;
};

for (const file of files) {
  const sf = program.getSourceFile(file);
  if (!sf) {
    missing.push(`${file}: entry point not found`);
    continue;
  }
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = sym.declarations?.[0];
    if (!decl || seen.has(sym)) continue;
    seen.add(sym);
    if (!hasDoc(sym)) missing.push(`${where(decl)}: export ${exported.name} (from ${file}) has no TSDoc`);
    if (sym.flags & ts.SymbolFlags.Class) {
      for (const member of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(sym))) {
        const md = member.valueDeclaration ?? member.declarations?.[0];
        if (!md || !ts.isClassElement(md)) continue;
        const flags = ts.getCombinedModifierFlags(md);
        if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || member.name.startsWith('#')) continue;
        if (member.getJsDocTags(checker).some((t) => t.name === 'internal')) continue;
        if (md.parent !== decl) continue; // inherited members are checked where they are declared
        if (!hasDoc(member)) missing.push(`${where(md)}: ${exported.name}.${member.name} has no TSDoc`);
      }
    }
  }
}
if (missing.length) {
  console.error(`check-tsdoc: ${missing.length} public export(s) of ${files.join(', ')} without TSDoc:`);
  for (const m of missing) console.error(`  ${m}`);
  console.error('Document each with its shapes, units, errors and sources (STYLE.md).');
  process.exit(1);
}
console.log(`check-tsdoc: ${seen.size} exports of ${files.length} entry files documented`);
