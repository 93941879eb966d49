import type { StorePersistence } from '@open-bridge/core'

/** What `persistence()` needs of a server's client: `CONFIG GET`. */
interface ConfigClient {
  config(subcommand: 'GET', parameter: string): Promise<unknown>
}

/** The value of one `CONFIG GET <name>` answer (`[name, value]`), or `undefined`. */
function configValue(answer: unknown, name: string): string | undefined {
  if (!Array.isArray(answer)) return undefined
  for (let i = 0; i + 1 < answer.length; i += 2) if (answer[i] === name) return String(answer[i + 1])
  return undefined
}

/** One server's answer. */
async function onePersistence(client: ConfigClient): Promise<StorePersistence> {
  let appendonly: string | undefined
  let save: string | undefined
  try {
    appendonly = configValue(await client.config('GET', 'appendonly'), 'appendonly')
    save = configValue(await client.config('GET', 'save'), 'save')
  } catch (error) {
    // The server answered, refusing the command (renamed or denied by an ACL); anything else (no connection) is
    // the caller's failure to report.
    if ((error as { name?: unknown } | null)?.name !== 'ReplyError') throw error
    return { persists: undefined, detail: 'the server refused CONFIG GET: its persistence is unknown' }
  }
  if (appendonly === undefined || save === undefined)
    return { persists: undefined, detail: 'CONFIG GET answered no appendonly / save: its persistence is unknown' }
  const rdb = save.trim() !== ''
  return { persists: appendonly === 'yes' || rdb, detail: `appendonly ${appendonly}, save ${rdb ? `"${save}"` : '""'}` }
}

/**
 * Whether the Redis servers keep their data across a restart: AOF on (`appendonly yes`) or RDB snapshots
 * configured (`save` not empty). Every primary of a Cluster is asked; one that does not persist makes the answer
 * `false`. A server that refuses `CONFIG` (managed services often rename it) answers "would not say".
 */
export async function redisPersistence(nodes: readonly ConfigClient[]): Promise<StorePersistence> {
  const answers = await Promise.all(nodes.map(onePersistence))
  const lost = answers.find((answer) => answer.persists === false)
  const unknown = answers.find((answer) => answer.persists === undefined)
  const shown = lost ?? unknown ?? answers[0] ?? { persists: undefined, detail: 'no server to ask' }
  const of =
    nodes.length > 1
      ? ` (${answers.filter((a) => a.persists === true).length} of ${nodes.length} primaries persist)`
      : ''
  return { persists: lost ? false : unknown ? undefined : shown.persists, detail: `${shown.detail}${of}` }
}
