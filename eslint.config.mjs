// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The rules of the house (docs/architecture.md), kept by lint: who may import
 * whom, and the one file that may touch the SQL layer under the ORM.
 */

/** The composition side: only main.ts, app.ts and the CLI may import these. */
const ROOT = '^(\\.\\./)+(app|main|services|schema|entities)$';

/** Each layer, and what it may not import. */
const LAYERS = [
  {
    files: ['src/common/**/*.ts'],
    forbid: [{ regex: '^\\.\\./', message: 'common/ imports nothing of ours outside common/.' }],
  },
  {
    files: ['src/infra/**/*.ts'],
    forbid: [
      {
        regex: '(^|/)(modules|auth|users|graphql|rest|cli)/|(^|/)config$',
        message: 'infra/ imports nothing above it (only common/ and infra/).',
      },
    ],
  },
  {
    files: ['src/users/**/*.ts'],
    forbid: [
      {
        regex: '(^|/)(modules|auth|graphql|rest|cli)/',
        message: 'users/ is below authentication and every feature.',
      },
    ],
  },
  {
    files: ['src/auth/**/*.ts'],
    forbid: [
      {
        regex: '(^|/)(modules|graphql|rest|cli)/',
        message: 'auth/ is infrastructure: it knows users/, never a feature or a face.',
      },
    ],
  },
  {
    files: ['src/graphql/**/*.ts'],
    forbid: [
      {
        regex: '(^|/)(modules|rest|cli)/',
        message: 'graphql/ knows no feature: features extend RequestServices instead.',
      },
    ],
  },
  {
    files: ['src/modules/**/*.ts'],
    forbid: [
      {
        regex:
          '(^|/)(rest|cli)/|/graphql/(?!context$|scalars$|enums$|connections$|demand-control$|scopes$)',
        message:
          'Features use graphql/ for its Context type, scalars, enums, connections, demand-control directives and scope decorators only, and never rest/.',
      },
    ],
  },
  {
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/viewer/**'],
    forbid: [
      {
        regex: '(^|/)viewer/',
        message:
          'viewer/ reads every feature; no feature reads it (mutation payloads carry the user).',
      },
    ],
  },
  {
    files: ['src/rest/**/*.ts'],
    forbid: [
      {
        regex: '(^|/)(modules|cli)/',
        message: 'REST is a face over the schema; it knows no feature.',
      },
    ],
  },
  {
    files: ['src/config.ts'],
    forbid: [
      { regex: '^\\./(?!infra/)', message: 'config.ts imports only infra/ (types and defaults).' },
    ],
  },
];

/** The SQL layer under the ORM: src/infra/db/sql.ts alone. */
const SQL_LAYER = {
  paths: ['pg', 'knex', 'kysely', '@mikro-orm/knex', '@mikro-orm/sql'].map((name) => ({
    name,
    message:
      'Only src/infra/db/sql.ts reaches the SQL layer: use the EntityManager or what sql.ts exports.',
  })),
  internals: {
    selector:
      'CallExpression[callee.property.name=/^(getKnex|getKysely|getConnection|getDriver|getNativeClient)$/]',
    message: "The ORM's internals are reached in src/infra/db/sql.ts only.",
  },
};

/** Every src file gets one no-restricted-imports: its layers' patterns plus the SQL layer. */
function importRules() {
  const configs = LAYERS.map(({ files, ignores, forbid }) => {
    // Later configs replace a rule's options for the files they match, so each
    // repeats the patterns of every layer its files belong to.
    const patterns = LAYERS.filter(
      (other) =>
        other.forbid === forbid ||
        (!other.ignores && other.files.some((file) => files.includes(file))),
    ).flatMap((other) => other.forbid);
    const root =
      files[0] === 'src/config.ts'
        ? []
        : [
            {
              regex: ROOT,
              message: 'Only main.ts, app.ts and the CLI import the composition side.',
            },
          ];
    return {
      files,
      ...(ignores ? { ignores } : {}),
      rules: {
        'no-restricted-imports': [
          'error',
          { paths: SQL_LAYER.paths, patterns: [...root, ...patterns] },
        ],
      },
    };
  });
  return [
    {
      files: ['src/**/*.ts'],
      ignores: ['src/infra/db/sql.ts', 'src/infra/db/migrations/**'],
      rules: {
        'no-restricted-imports': ['error', { paths: SQL_LAYER.paths }],
        'no-restricted-syntax': ['error', SQL_LAYER.internals],
      },
    },
    ...configs,
    // The one door itself.
    { files: ['src/infra/db/sql.ts'], rules: { 'no-restricted-imports': 'off' } },
  ];
}

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      '.data/',
      'src/infra/db/migrations/',
      'jest.config.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        // Types used in decorated signatures must stay value imports.
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/prefer-nullish-coalescing': 'error',
      '@typescript-eslint/no-deprecated': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  ...importRules(),
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
