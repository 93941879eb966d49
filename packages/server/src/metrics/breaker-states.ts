import type { CredentialBridge } from '@open-bridge/core'

type Listen = (event: string, listener: (payload: unknown) => void) => () => void

/**
 * Which tiers' circuit breakers are open, from the bridge's `breaker-open` / `breaker-close` events. Subscribed
 * by name: a core without breakers never emits them, and every tier then reads as closed.
 */
export class BreakerStates {
  readonly #open = new Set<string>()
  readonly #unsubscribe: Array<() => void>
  readonly #onChange: ((tier: string, open: boolean) => void) | undefined

  constructor(bridge: CredentialBridge, onChange?: (tier: string, open: boolean) => void) {
    this.#onChange = onChange
    const on = bridge.on.bind(bridge) as unknown as Listen
    this.#unsubscribe = [on('breaker-open', (p) => this.#set(p, true)), on('breaker-close', (p) => this.#set(p, false))]
  }

  isOpen(tier: string): boolean {
    return this.#open.has(tier)
  }

  close(): void {
    for (const off of this.#unsubscribe) off()
  }

  #set(payload: unknown, open: boolean): void {
    const tier = (payload as { tier?: unknown } | undefined)?.tier
    if (typeof tier !== 'string') return
    if (open) this.#open.add(tier)
    else this.#open.delete(tier)
    this.#onChange?.(tier, open)
  }
}
