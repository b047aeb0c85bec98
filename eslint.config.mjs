// Lint configuration: typescript-eslint's recommended rules plus the project's
// layering rule (the core never imports VS Code or the LSP/DAP libraries).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreDirs = ['isa', 'asm', 'vm', 'verifier', 'btf', 'elf', 'bpftrace', 'bpfc', 'trace', 'ide', 'util'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.vscode-test/**', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', URL: 'readonly', __dirname: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['bin/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: coreDirs.map((d) => `server/src/${d}/**/*.ts`),
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['vscode', 'vscode-*', '@vscode/*'], message: 'The core imports nothing from VS Code, LSP or DAP.' },
          { group: ['node:fs', 'fs', 'node:child_process', 'child_process', 'node:net', 'net', '**/host/*', '**/lsp/*', '**/debug/*', '**/cli/*'], message: 'The core does no I/O: host/ fetches bytes and text.' },
        ],
      }],
    },
  },
);
