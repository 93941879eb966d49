import { packageConfig } from '../../tsup.config.js'

export default packageConfig({
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  // chaosStore alone: no test runner, so a plain script or a CommonJS file can load it.
  'testing-chaos': 'src/testing/chaos-store.ts',
})
