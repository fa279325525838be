// Lint rules of wrt. The platform rule: only runtime/platform/* and runtime/cli/ may reach Node
// built-ins or the DOM globals; everything else gets what it needs through the Platform interface.
import tseslint from 'typescript-eslint';

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
  { files: ['runtime/**/*.ts', 'sdk/**/*.ts', 'gpu/**/*.ts'], ignores: ['runtime/platform/**', 'runtime/cli/**'], rules: platformRule },
  {
    files: ['tests/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'after', 'before'] }] },
      ],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
