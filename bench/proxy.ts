/**
 * Question: how many requests per second does `cachestack proxy` serve next to
 * nginx with `proxy_cache`, on the same machine, for cached 2 KB and 100 KB
 * responses, and for a 100% miss workload (every URL new, every response stored)?
 *
 * The origin, the proxy (the CLI, memory store) and nginx (one worker, its
 * own prefix and config in a temp dir, on free loopback ports; never the
 * system service) each run in their own process; autocannon (32
 * connections) runs here. Contenders are measured interleaved, round by
 * round; medians of requests/s and of p99 latency are reported.
 * Target (issue 11): cachestack cached-hit requests/s ≥ 0.5× nginx's.
 * nginx comes from `scripts/servers/nginx.sh`; without it the nginx rows are skipped.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { machineLine, median, printTable, printTarget, type Result } from './lib/harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const CONNECTIONS = 32

function waitLine(child: ChildProcess, re: RegExp, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = re.exec(out)
      if (m !== null) resolve(m[1]!)
    })
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${out}`)))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

async function startOrigin(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'lib/proxy-origin.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return { child, port: Number(await waitLine(child, /READY (\d+)/, 'origin')) }
}

async function startCachestack(originPort: number): Promise<{ child: ChildProcess; base: string }> {
  const cli = join(here, '../src/cli/proxy.ts')
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      '--origin',
      `http://127.0.0.1:${originPort}`,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--max-size',
      '1gb',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await waitLine(child, /listening on http:\/\/[^:]+:(\d+)/, 'cachestack proxy')
  return { child, base: `http://127.0.0.1:${port}` }
}

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function startNginx(originPort: number): Promise<{ child: ChildProcess; base: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cs-bench-nginx-'))
  for (const d of ['cache', 'tmp', 'logs']) mkdirSync(join(dir, d))
  const port = await freePort()
  const root = process.getuid?.() === 0 ? 'user root;' : ''
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${root}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=cs:64m max_size=1g inactive=60m use_temp_path=off;
  upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_cache cs;
      proxy_cache_lock on;
      add_header X-Cache $upstream_cache_status;
    }
  }
}
`,
  )
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (up) return { child, base, dir }
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill()
  throw new Error(`nginx did not start; see ${dir}/logs/error.log`)
}

function load(base: string, path: string, duration: number, unique: boolean): Promise<autocannon.Result> {
  let n = 0
  const salt = Math.random().toString(36).slice(2)
  const opts: autocannon.Options = { url: base + path, connections: CONNECTIONS, duration, pipelining: 1 }
  if (unique) {
    opts.requests = [{ setupRequest: (req) => ({ ...req, path: `/miss/${salt}/${n++}` }) }]
  }
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)))
  })
}

async function workload(
  title: string,
  contenders: { name: string; base: string }[],
  path: string,
  unique: boolean,
): Promise<Record<string, number>> {
  for (const c of contenders) if (!unique) await load(c.base, path, 1, false) // warm: store, JIT
  const rps = contenders.map(() => [] as number[])
  const p99 = contenders.map(() => [] as number[])
  const errors = contenders.map(() => 0)
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const res = await load(contenders[i]!.base, path, SECONDS, unique)
      rps[i]!.push(res.requests.average)
      p99[i]!.push(res.latency.p99)
      errors[i]! += res.errors + res.non2xx
    }
  }
  const results: Result[] = contenders.map((c, i) => ({
    name: c.name,
    opsPerSec: median(rps[i]!),
    rounds: rps[i]!,
    extra: { 'p99 ms': median(p99[i]!).toFixed(1), errors: errors[i]! },
  }))
  return printTable(title, results, contenders.some((c) => c.name === 'nginx') ? 'nginx' : contenders[0]!.name)
}

console.log(`${machineLine()}\n`)
console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds per contender, interleaved`)
const origin = await startOrigin()
const children: ChildProcess[] = [origin.child]
let nginxDir: string | undefined
try {
  const cs = await startCachestack(origin.port)
  children.push(cs.child)
  const contenders = [{ name: 'cachestack proxy', base: cs.base }]
  if (hasNginx()) {
    const ng = await startNginx(origin.port)
    children.push(ng.child)
    nginxDir = ng.dir
    contenders.push({ name: 'nginx', base: ng.base })
  } else {
    console.log('nginx is not installed (run scripts/servers/nginx.sh): nginx rows skipped')
  }
  contenders.push({ name: 'origin (no cache)', base: `http://127.0.0.1:${origin.port}` })
  const small = await workload('cached hit, 2 KB', contenders, '/2k', false)
  const large = await workload('cached hit, 100 KB', contenders, '/100k', false)
  await workload('100% miss (every URL new, 2 KB, stored)', contenders.slice(0, 2), '/miss', true)
  if (small.nginx !== undefined) {
    console.log('')
    printTarget('cached 2 KB hit req/s vs nginx', small['cachestack proxy']!, 0.5)
    printTarget('cached 100 KB hit req/s vs nginx', large['cachestack proxy']!, 0.5)
  }
} finally {
  for (const c of children) c.kill('SIGTERM')
  if (nginxDir !== undefined) {
    await new Promise((r) => setTimeout(r, 200))
    rmSync(nginxDir, { recursive: true, force: true })
  }
}
