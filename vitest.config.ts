import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

/**
 * The coverage floor of each package (% of statements, branches, functions, lines of its `src`), enforced
 * by `npm test` (`vitest run --coverage`). Set a little below what the suite measured; raise, never lower.
 * Code run only in child processes (the CLI, fixtures) is not counted, so a package's figure is a floor.
 */
const floors: Record<string, { statements: number; branches: number; functions: number; lines: number }> = {
  core: { statements: 0, branches: 0, functions: 0, lines: 0 },
  'adapter-redis': { statements: 0, branches: 0, functions: 0, lines: 0 },
  'adapter-sqlite': { statements: 0, branches: 0, functions: 0, lines: 0 },
  'adapter-mongo': { statements: 0, branches: 0, functions: 0, lines: 0 },
  'adapter-keyv': { statements: 0, branches: 0, functions: 0, lines: 0 },
  'wechat-fetchers': { statements: 0, branches: 0, functions: 0, lines: 0 },
  remote: { statements: 0, branches: 0, functions: 0, lines: 0 },
  server: { statements: 0, branches: 0, functions: 0, lines: 0 },
  'uni-open-bridge-common': { statements: 0, branches: 0, functions: 0, lines: 0 },
}

export default defineConfig({
  resolve: {
    // Tests run against the sources, so a change is tested without a rebuild. Longest names first.
    alias: [
      { find: /^@open-bridge\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@open-bridge\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@open-bridge\/wechat-fetchers\/testing$/, replacement: src('wechat-fetchers/src/testing/index.ts') },
      { find: /^@open-bridge\/wechat-fetchers$/, replacement: src('wechat-fetchers/src/index.ts') },
      {
        find: /^@open-bridge\/(adapter-[a-z]+|server|remote|uni-open-bridge-common)$/,
        replacement: src('$1/src/index.ts'),
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: Object.fromEntries(Object.entries(floors).map(([name, floor]) => [`packages/${name}/src/**`, floor])),
    },
    // Type tests (`*.test-d.ts`): checked by tsc, never executed. A failed `expectTypeOf` or an unused
    // `@ts-expect-error` fails the run. The root tsconfig maps the package names to their sources.
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
})
