// Lint rules of wrt.
// - The platform rule: only runtime/platform/*, runtime/launch/* (composition roots) and
//   runtime/cli/ may reach Node built-ins or the DOM globals; everything else gets what it needs
//   through the Platform interface.
// - No import cycles (import-x/no-cycle, type imports included).
// - Folder rules (the layering of docs/architecture.md): platform adapters import only the platform
//   interface, errors, protocol and the sandbox's byte-level helpers; store and protocol never import
//   node, scheduler, head, stream or platform implementations; the sandbox imports only errors.
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Folders of runtime/, for the folder rules. */
const UPPER = ['head', 'node', 'scheduler', 'stream', 'store', 'launch', 'client', 'cli'];

/** A no-restricted-imports rule that forbids relative imports of `folders` of runtime/ from a file `depth` folders below runtime/. */
function folderRule(depth, folders, message, extra = [], nodeBuiltins = false) {
  const up = '../'.repeat(depth);
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: [...folders.map((f) => `${up}${f}/*`), ...extra.map((e) => `${up}${e}`), `${up}../sdk/*`, `${up}../gpu/*`], message },
          ...(nodeBuiltins
            ? []
            : [
                {
                  group: ['node:*'],
                  message: 'Node built-ins belong in runtime/platform/node/ or runtime/cli/ (use the Platform interface).',
                },
              ]),
        ],
      },
    ],
  };
}

const platformRule = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*'], message: 'Node built-ins belong in runtime/platform/node/ or runtime/cli/ (use the Platform interface).' },
      ],
      paths: ['fs', 'path', 'os', 'http', 'net', 'child_process', 'worker_threads', 'crypto', 'url', 'events', 'ws', 'undici'].map(
        (name) => ({
          name,
          message: 'Node-only modules belong in runtime/platform/node/ or runtime/cli/.',
        }),
      ),
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'process', message: 'process is Node-only: use the Platform interface.' },
    { name: 'window', message: 'window is browser-only: use the Platform interface.' },
    { name: 'document', message: 'document is browser-only: use the Platform interface.' },
    { name: 'Buffer', message: 'Buffer is Node-only: use Uint8Array.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '**/build/',
      'runtime/protocol/generated/',
      'kernels/',
      'samples/*/assembly/',
      'tests/fixtures/',
      'scripts/',
      'bin/',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
    },
  },
  {
    files: ['runtime/**/*.ts', 'sdk/**/*.ts', 'gpu/**/*.ts'],
    ignores: ['runtime/platform/**', 'runtime/cli/**', 'runtime/launch/**'],
    rules: platformRule,
  },
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    files: ['runtime/**/*.ts', 'sdk/**/*.ts', 'gpu/**/*.ts', 'bench/**/*.ts', 'samples/**/*.ts'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // Platform adapters: the platform interface, errors, protocol and the sandbox's helpers only.
  // The slot entries are the worker threads' composition roots: they also start the slot (node/slot.ts).
  ...['node', 'browser'].map((side) => ({
    files: [`runtime/platform/${side}/*.ts`],
    ignores: ['runtime/platform/*/slot-entry.ts'],
    rules: folderRule(
      2,
      UPPER,
      'Platform adapters import only the platform interface, errors, protocol and the sandbox (docs/architecture.md).',
      [],
      side === 'node',
    ),
  })),
  {
    files: ['runtime/platform/*.ts'],
    rules: folderRule(1, UPPER, 'The platform interface imports only errors, protocol and the sandbox.', [
      'platform/node/*',
      'platform/browser/*',
    ]),
  },
  // Store and protocol sit below node, scheduler and the platform implementations.
  {
    files: ['runtime/store/*.ts', 'runtime/protocol/*.ts'],
    rules: folderRule(
      1,
      UPPER.filter((f) => f !== 'store'),
      'store/ and protocol/ never import node, scheduler, head, stream or platform implementations.',
      ['platform/node/*', 'platform/browser/*'],
    ),
  },
  // The sandbox is imported downward by stream, node and cli: it imports only errors.
  {
    files: ['runtime/sandbox/*.ts'],
    rules: folderRule(1, [...UPPER, 'platform', 'protocol'], 'The sandbox imports only errors.'),
  },
  // Integration and browser tests start processes and Chromium on the machine's ports and cores:
  // each runs alone (ava runs the tests of a file concurrently unless they are serial).
  {
    files: ['tests/integration/**/*.ts', 'tests/browser/**/*.ts', 'tests/security/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='Identifier'][callee.name='test']",
          message: 'Integration and browser tests share ports and cores: declare them with test.serial (or test.skip).',
        },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
