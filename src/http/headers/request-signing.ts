/**
 * The request signatures two CDN APIs require: Akamai's EdgeGrid
 * (EG1-HMAC-SHA256) and AWS Signature Version 4 (CloudFront).
 * @module
 */
import { createHash, createHmac, randomUUID } from 'node:crypto'

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
const sha256 = (data: string) => createHash('sha256').update(data)

/** Akamai EdgeGrid credentials (from the `.edgerc` section of an API client). */
export interface EdgeGridCredentials {
  clientToken: string
  clientSecret: string
  accessToken: string
}

/**
 * @internal The `Authorization` value of an EdgeGrid request (no signed headers).
 * @see https://techdocs.akamai.com/developer/docs/authenticate-with-edgegrid
 */
export function edgeGridAuthorization(
  c: EdgeGridCredentials,
  method: string,
  url: URL,
  body: string,
  now: Date,
  nonce: string = randomUUID(),
): string {
  const iso = now.toISOString()
  const timestamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}+0000`
  const auth = `EG1-HMAC-SHA256 client_token=${c.clientToken};access_token=${c.accessToken};timestamp=${timestamp};nonce=${nonce};`
  const key = hmac(c.clientSecret, timestamp).toString('base64')
  // The content hash covers at most the first 131072 bytes of a POST body.
  const hash = method === 'POST' && body !== '' ? sha256(body.slice(0, 131072)).digest('base64') : ''
  const data = [method, url.protocol.slice(0, -1), url.host, url.pathname + url.search, '', hash, auth].join('\t')
  return `${auth}signature=${hmac(key, data).toString('base64')}`
}

/** AWS credentials. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  /** For temporary credentials. */
  sessionToken?: string
}

/** @internal The SigV4 signing key for a day, region and service. */
export function sigV4Key(secret: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request')
}

/**
 * @internal The headers (`x-amz-date`, `authorization`, maybe `x-amz-security-token`) of a SigV4 request.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export function sigV4Headers(
  c: AwsCredentials,
  region: string,
  service: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
  now: Date,
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const day = amzDate.slice(0, 8)
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': amzDate }
  if (c.sessionToken !== undefined) all['x-amz-security-token'] = c.sessionToken
  const names = Object.keys(all)
    .map((n) => n.toLowerCase())
    .sort()
  const lower = new Map(Object.entries(all).map(([k, v]) => [k.toLowerCase(), v.trim()]))
  const canonical = [
    method,
    url.pathname,
    url.search.slice(1),
    names.map((n) => `${n}:${lower.get(n)}\n`).join(''),
    names.join(';'),
    sha256(body).digest('hex'),
  ].join('\n')
  const scope = `${day}/${region}/${service}/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical).digest('hex')].join('\n')
  const signature = createHmac('sha256', sigV4Key(c.secretAccessKey, day, region, service))
    .update(toSign)
    .digest('hex')
  const out: Record<string, string> = {
    'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  }
  if (c.sessionToken !== undefined) out['x-amz-security-token'] = c.sessionToken
  return out
}
