import { connection } from 'next/server'

export async function GET() {
  await connection()
  const res = await fetch(process.env.ORIGIN_URL, { cache: 'force-cache', next: { tags: ['feed'], revalidate: 3600 } })
  return Response.json({ body: await res.text(), pid: process.pid })
}
