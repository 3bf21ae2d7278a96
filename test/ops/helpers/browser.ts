/**
 * Launches Debian's chromium (installed by scripts/test-servers.sh install) through
 * playwright-core, headless with a fresh profile. Without chromium the tests
 * skip with a message, or fail when CI=true.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export function chromiumAvailable(test: string): boolean {
  if (existsSync(CHROMIUM)) return true
  const message = `${test}: ${CHROMIUM} is missing (run scripts/test-servers.sh install as root)`
  if (process.env.CI === 'true') throw new Error(message)
  console.warn(`${message}; skipping`)
  return false
}

export async function launchBrowser(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'cachestack-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
