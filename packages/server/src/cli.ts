#!/usr/bin/env node
// `open-bridge` — filled in by the service half (serve). Placeholder so the build has its entry.
process.stderr.write('open-bridge: not implemented yet\n')
process.exitCode = 1
