import type { Options } from 'tsup'

/**
 * The one build recipe every package uses: ESM + CJS + declarations for each entry, Node 20 target.
 * A package's own `tsup.config.ts` names its entries and nothing else.
 */
export function packageConfig(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    splitting: false,
    treeshake: true,
    target: 'node20',
    platform: 'node',
    // The build must not see the typecheck's `paths` (they point at sibling packages' sources).
    tsconfig: '../../tsconfig.build.json',
  }
}
