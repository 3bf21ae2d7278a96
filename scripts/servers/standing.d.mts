// Types for standing.mjs, for the TypeScript callers (test/setup/servers.ts, bench/lib/servers.ts).
export type ServerKind = 'redis' | 'postgres'
export interface StartedServer {
  kind: ServerKind
  pid: number
  port: number
  url: string
}
export interface EnsuredServers {
  urls: Partial<Record<ServerKind, string>>
  missing: string[]
  started: StartedServer[]
  stop(): Promise<void>
  stopNow(): void
}
export const STANDING_PORTS: Record<ServerKind, number>
export const INSTALL_HINT: string
export const STATE_DIR: string
export function redisUrl(port: number): string
export function postgresUrl(port: number): string
export function findBinary(name: string): string | undefined
export function missingBinaries(kind: ServerKind): string[]
export function redisAnswers(port: number, timeoutMs?: number): Promise<boolean>
export function postgresAnswers(port: number, timeoutMs?: number): Promise<boolean>
export function freePort(): Promise<number>
export function ensureServers(
  kinds?: ServerKind[],
  options?: { log?: (line: string) => void; exportAs?: Record<ServerKind, string> },
): Promise<EnsuredServers>
