// Lint rules that find real problems (bugs, dead code, import cycles); layout is
// prettier's job (.prettierrc.json). `npm run lint`, run by .ci/run before the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'man/**', 'completions/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      // no import cycle, between folders or inside one: imports run one way
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      // tsc's noUnusedLocals / noUnusedParameters report these already
      '@typescript-eslint/no-unused-vars': 'off',
      'no-unused-vars': 'off',
      // deliberate here: variadic cfg-function signatures, CommonJS requires of JSON and
      // of modules loaded fresh in tests
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // with type information, for the daemon's sources: a promise nobody awaits or catches
    // is an unhandled rejection that ends the process
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // tests assert shapes with non-null assertions and cast fixtures freely
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
