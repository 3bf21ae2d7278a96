/**
 * Hazelcast members and Apache Ignite nodes of a test's own, on free loopback
 * ports in temporary directories (the jars come from
 * `scripts/test-servers.sh install`; see {@link missingServers} with
 * `'hazelcast'` / `'ignite'`). JVMs get small heaps: the machine is shared.
 * Each member can be killed (SIGKILL) and restarted mid-test.
 * @module
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from 'hazelcast-client'
import {
  freePort,
  HAZELCAST_VERSION,
  IGNITE_VERSION,
  jarsDir,
  Managed,
  type TestServer,
  tempDir,
  waitFor,
} from './servers.js'

const HOST = '127.0.0.1'
const JVM = ['-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-Xss512k', '-XX:-UsePerfData']

/** A Hazelcast cluster of a test's own. `kill(i)` / `restart(i)` act on one member, without `i` on all. */
export interface TestHazelcast extends Omit<TestServer, 'kill' | 'restart'> {
  clusterName: string
  /** `'127.0.0.1:port'` of each member, as `hazelcastStore({ members })` takes them. */
  members: string[]
  ports: number[]
  kill(index?: number): Promise<void>
  restart(index?: number): Promise<void>
  /** Resolves once the cluster has `count` members (every member by default). */
  waitForMembers(count?: number): Promise<void>
}

function hazelcastConfig(clusterName: string, port: number, all: readonly number[]): string {
  return [
    'hazelcast:',
    `  cluster-name: ${clusterName}`,
    '  properties:',
    '    hazelcast.phone.home.enabled: false',
    '    hazelcast.socket.bind.any: false',
    '    hazelcast.logging.type: jdk',
    // Noticed quickly that a killed member is gone, so its partitions move within a test.
    '    hazelcast.max.no.heartbeat.seconds: 5',
    '    hazelcast.heartbeat.interval.seconds: 1',
    // Members started together find each other at once rather than after the default 5-20 s.
    '    hazelcast.wait.seconds.before.join: 1',
    '    hazelcast.max.wait.seconds.before.join: 2',
    '  network:',
    `    public-address: ${HOST}:${port}`,
    '    port:',
    '      auto-increment: false',
    `      port: ${port}`,
    '    join:',
    '      auto-detection:',
    '        enabled: false',
    '      multicast:',
    '        enabled: false',
    '      tcp-ip:',
    '        enabled: true',
    '        member-list:',
    ...all.map((p) => `          - ${HOST}:${p}`),
    '    interfaces:',
    '      enabled: true',
    '      interfaces:',
    `        - ${HOST}`,
    '  jet:',
    '    enabled: false',
    '',
  ].join('\n')
}

/** The cluster's member count, asked through a short-lived client. */
async function memberCount(clusterName: string, members: readonly string[]): Promise<number> {
  const client = await Client.newHazelcastClient({
    clusterName,
    network: { clusterMembers: [...members] },
    connectionStrategy: { connectionRetry: { clusterConnectTimeoutMillis: 2000 } },
    properties: { 'hazelcast.logging.level': 'OFF' },
  })
  try {
    return client.getCluster().getMembers().length
  } finally {
    await client.shutdown()
  }
}

/**
 * A Hazelcast cluster of `members` members (default 1) with a cluster name
 * of its own, joined over TCP on loopback (no multicast).
 */
export async function startHazelcast(options: { members?: number } = {}): Promise<TestHazelcast> {
  const count = options.members ?? 1
  const clusterName = `cs-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  const jar = join(jarsDir(), `hazelcast-${HAZELCAST_VERSION}`, `hazelcast-${HAZELCAST_VERSION}.jar`)
  const servers = ports.map((port, i) => {
    const dir = tempDir(`hazelcast${i}`)
    const config = join(dir, 'hazelcast.yaml')
    writeFileSync(config, hazelcastConfig(clusterName, port, ports))
    const args = [
      ...JVM,
      `-Dhazelcast.config=${config}`,
      `-Dhazelcast.local.localAddress=${HOST}`,
      '-cp',
      jar,
      'com.hazelcast.core.server.HazelcastMemberStarter',
    ]
    return new Managed(
      `hazelcast${i}`,
      port,
      'java',
      args,
      dir,
      async (output) => output.includes('is STARTED'),
      90_000,
    )
  })
  // Started together: each waits for the others only through the TCP join.
  await Promise.all(servers.map((s) => s.start()))
  const members = ports.map((p) => `${HOST}:${p}`)
  const waitForMembers = (n = count) =>
    waitFor(`${n} Hazelcast members`, async () => (await memberCount(clusterName, members)) === n, 60_000)
  await waitForMembers()
  return {
    clusterName,
    members,
    ports,
    port: ports[0]!,
    url: `hazelcast://${members.join(',')}/${clusterName}`,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()))
    },
    kill: async (index) => {
      if (index === undefined) await Promise.all(servers.map((s) => s.kill()))
      else await servers[index]!.kill()
    },
    restart: async (index) => {
      if (index === undefined) await Promise.all(servers.map((s) => s.restart()))
      else await servers[index]!.restart()
      await waitForMembers(servers.filter((s) => s.running).length)
    },
    waitForMembers,
  }
}

/** The `--add-opens` flags Ignite 2.x documents for Java 17. */
const IGNITE_OPENS = [
  'java.base/jdk.internal.access',
  'java.base/jdk.internal.misc',
  'java.base/sun.nio.ch',
  'java.base/sun.util.calendar',
  'java.management/com.sun.jmx.mbeanserver',
  'jdk.internal.jvmstat/sun.jvmstat.monitor',
  'java.base/sun.reflect.generics.reflectiveObjects',
  'jdk.management/com.sun.management.internal',
  'java.base/java.io',
  'java.base/java.nio',
  'java.base/java.net',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.util.concurrent.locks',
  'java.base/java.util.concurrent.atomic',
  'java.base/java.lang',
  'java.base/java.lang.invoke',
  'java.base/java.math',
  'java.sql/java.sql',
  'java.base/java.lang.reflect',
  'java.base/java.time',
  'java.base/java.text',
  'java.management/sun.management',
  'java.desktop/java.awt.font',
].map((m) => `--add-opens=${m}=ALL-UNNAMED`)

/** An Ignite server node of a test's own; `url` is its thin-client address. */
export interface TestIgnite extends TestServer {
  /** `'127.0.0.1:port'`, as `igniteStore({ endpoints })` takes it. */
  endpoint: string
}

/** One Ignite 2.x server node (in memory, loopback only) from scripts/servers/ignite/TestIgniteNode.java. */
export async function startIgnite(): Promise<TestIgnite> {
  const thin = await freePort()
  const discovery = await freePort()
  const communication = await freePort()
  const dir = tempDir('ignite')
  const home = join(jarsDir(), `ignite-${IGNITE_VERSION}`)
  const args = [
    '-Xms128m',
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:-UsePerfData',
    '-DIGNITE_QUIET=true',
    '-DIGNITE_NO_ASCII=true',
    '-DIGNITE_UPDATE_NOTIFIER=false',
    '-DIGNITE_PERFORMANCE_SUGGESTIONS_DISABLED=true',
    ...IGNITE_OPENS,
    '-cp',
    `${join(home, 'lib', '*')}:${join(home, 'classes')}`,
    'TestIgniteNode',
    String(thin),
    String(discovery),
    String(communication),
    dir,
  ]
  const server = new Managed(
    'ignite',
    thin,
    'java',
    args,
    dir,
    async (output) => output.includes('cachestack-ignite-ready'),
    90_000,
  )
  await server.start()
  return {
    port: thin,
    endpoint: `${HOST}:${thin}`,
    url: `ignite://${HOST}:${thin}`,
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: () => server.restart(),
  }
}
