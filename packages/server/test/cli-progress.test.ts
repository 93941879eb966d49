import { describe, expect, it } from 'vitest'
import { Progress } from '../src/cli/progress.js'

function capture(isTTY: boolean) {
  const chunks: string[] = []
  return { chunks, stream: { isTTY, write: (text: string) => chunks.push(text) } }
}

describe('the progress display of a walk', () => {
  it('draws a bar to 100 % with the total, the rate and the counts, and ends a terminal line', () => {
    const { chunks, stream } = capture(true)
    const progress = new Progress(stream, 'rekey sqlite:a.db', 4)
    for (let i = 0; i < 4; i++) progress.step({ resealed: i })
    progress.finish({ resealed: 4, current: 0 })
    const last = chunks[chunks.length - 2]!
    expect(last.startsWith('\r')).toBe(true)
    expect(last).toContain(`[${'#'.repeat(24)}] 100%`)
    expect(last).toContain('4 / 4')
    expect(last).toMatch(/[\d,]+\/s/)
    expect(last).toContain('(4 resealed)')
    expect(last).not.toContain('current')
    expect(chunks[chunks.length - 1]).toBe('\n')
  })

  it('counts records when the total is unknown, a line each time in a log', () => {
    const { chunks, stream } = capture(false)
    const progress = new Progress(stream, 'import into sqlite:b.db')
    progress.step({ written: 0 })
    progress.step({ written: 1 })
    progress.finish({ written: 2 })
    expect(chunks.every((chunk) => chunk.endsWith('\n') && !chunk.includes('\r'))).toBe(true)
    expect(chunks[chunks.length - 1]).toContain('import into sqlite:b.db: 2 records')
    expect(chunks[chunks.length - 1]).toContain('(2 written)')
  })

  it('draws at most one line per interval however many records pass', () => {
    const { chunks, stream } = capture(false)
    const progress = new Progress(stream, 'copy', 100_000)
    for (let i = 0; i < 100_000; i++) progress.step({ written: i })
    // The first step draws; the next ones fall in the same 2 s window (unless the machine stalls for seconds).
    expect(chunks.length).toBeLessThan(50)
    progress.finish({ written: 100_000 })
    expect(chunks[chunks.length - 1]).toContain('100%')
  })

  it('never claims more than 100 % when records arrived after the count', () => {
    const { chunks, stream } = capture(false)
    const progress = new Progress(stream, 'copy', 2)
    for (let i = 0; i < 3; i++) progress.step({})
    progress.finish({ written: 3 })
    expect(chunks[chunks.length - 1]).toContain('3 / 3')
  })
})
