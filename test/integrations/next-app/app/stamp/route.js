import { connection } from 'next/server'
import { stamp } from '../../lib/items.js'

export async function GET(request) {
  await connection()
  const name = new URL(request.url).searchParams.get('name') ?? 'a'
  return Response.json({ ...(await stamp(name)), pid: process.pid })
}
