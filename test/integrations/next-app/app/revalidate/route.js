import { revalidatePath, revalidateTag } from 'next/cache'

export async function POST(request) {
  const params = new URL(request.url).searchParams
  const tag = params.get('tag')
  const path = params.get('path')
  if (tag !== null) revalidateTag(tag, params.get('profile') === 'max' ? 'max' : { expire: 0 })
  if (path !== null) revalidatePath(path)
  return Response.json({ ok: true, pid: process.pid })
}
