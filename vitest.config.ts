import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

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
    // Type tests (`*.test-d.ts`): checked by tsc, never executed. A failed `expectTypeOf` or an unused
    // `@ts-expect-error` fails the run. The root tsconfig maps the package names to their sources.
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
})
