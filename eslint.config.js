// ESLint (flat config) with type-aware typescript-eslint rules; Prettier owns the formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Workflow code runs in Temporal's deterministic sandbox: only the workflow SDK, its own files and contracts/. */
const WORKFLOW_IMPORTS = {
  regex: String.raw`^(?!@temporalio/workflow$|\./\w[\w.-]*$|\.\./contracts/\w[\w.-]*$)`,
  message:
    'Workflow code imports only @temporalio/workflow, ./ files of workflows/ and ../contracts/ ' +
    '(no Node built-ins, no NestJS/TypeORM, no domain or activity code).',
};
/** contracts/ is imported by workflows, so it holds to the same rule (the SDK's common types are allowed). */
const CONTRACT_IMPORTS = {
  regex: String.raw`^(?!@temporalio/(workflow|common)$|\./\w[\w.-]*$)`,
  message: 'contracts/ is imported by workflow code: it imports only the Temporal SDK and other contracts/ files.',
};
const NO_DYNAMIC_IMPORT = { selector: 'ImportExpression', message: 'Workflow code has no dynamic imports.' };

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', '.nimbus/**', '.tools/**', 'docker/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Raw SQL rows (pg), fetch/JSON bodies and the like are `any` by design and are validated at the
      // edge (Ajv schemas, DTOs, row mappers): flagging every access to them is noise, not bugs.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // `FaultCode | string` documents the known values while accepting others: intended, not redundant.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // A promise nobody awaits is a real bug; node:test's describe/it/hooks are tracked by the runner.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      // Rejecting with a caught error or an AbortSignal's reason (`any`/`unknown`): fine, as for only-throw-error.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // StepFailure (workflows/failures.ts) is deliberately not an Error: a carrier of a step's
      // failure that the saga catches and turns into the instance's fault.
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'StepFailure', path: 'workflows/failures.ts' }] },
      ],
      // `const { omitted, ...rest } = x` is how a property is dropped; a `_`-prefixed parameter is one an
      // implementation must accept (to fit an interface) but does not use.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // Prettier wraps code at 120; this catches what it cannot wrap (comments, long strings). A test's
      // title stays on its `it(` line, as Prettier keeps it.
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignorePattern: String.raw`^\s*(describe|it|test|suite)\(`,
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [WORKFLOW_IMPORTS] }],
      'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT],
    },
  },
  {
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [CONTRACT_IMPORTS] }],
      'no-restricted-syntax': ['error', NO_DYNAMIC_IMPORT],
    },
  },
  // Applied migrations are never edited, and their SQL is TypeORM's, one statement a line.
  { files: ['core/db/migrations/*.ts'], rules: { 'max-len': 'off' } },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
