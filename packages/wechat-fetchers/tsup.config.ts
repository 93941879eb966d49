import { packageConfig } from '../../tsup.config.js'

export default packageConfig({
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  sdk: 'src/sdk/index.ts',
})
