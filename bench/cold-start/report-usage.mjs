// Loaded with `--import` into both processes a cold-start benchmark compares: prints the process's own peak
// resident memory and CPU time as it exits, on one line of JSON on stderr.
process.on('exit', () => {
  const usage = process.resourceUsage()
  process.stderr.write(
    `${JSON.stringify({ maxRssKiB: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`,
  )
})
