// One flat config for the monorepo. The import rules keep the four rooms apart (docs/design.md §2):
// core knows no Node or DOM, weights-format knows no TensorFlow, libraries never import vitest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'runs/**', '**/*.svelte', '**/public/**', '.ci/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      curly: ['error', 'all'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain JS entry points (bins, worker bootstraps) run on Node.
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'worker_threads'], message: 'core knows no Node APIs.' },
            { group: ['vitest'], message: 'Library code never imports vitest.' },
            { group: ['@tensorflow/tfjs', '@tensorflow/tfjs-node*', '@tensorflow/tfjs-backend-*'], message: 'core depends on @tensorflow/tfjs-core only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/weights-format/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@tensorflow/*'], message: 'weights-format knows no TensorFlow.' },
            { group: ['node:*', 'fs', 'path'], message: 'weights-format runs in the browser too: no Node APIs.' },
            { group: ['vitest'], message: 'Library code never imports vitest.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/trainer/src/**/*.ts', 'packages/viewer/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vitest'], message: 'Library code never imports vitest.' }] }],
    },
  },
);
