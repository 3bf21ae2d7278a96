/** Server-rendered HTML for the demo. Every value is escaped. */
import type { Product } from './db.js'

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Escapes text for HTML. */
export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ESC[c]!)

export interface Page {
  title: string
  /** The sidebar's HTML (a cached fragment). */
  side: string
  main: string
  /** Fingerprinted asset URLs. */
  css: string
  js: string
  /** The logged-in user, from the session. */
  user: string | undefined
}

export function layout(p: Page): string {
  const who = p.user
    ? `Signed in as <strong id="user">${esc(p.user)}</strong> <form method="post" action="/logout"><button id="logout">Log out</button></form>`
    : '<a id="login" href="/login">Log in</a>'
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(p.title)} · cachestack demo</title>
<link rel="stylesheet" href="${esc(p.css)}"></head><body>
<header class="top"><a class="brand" href="/"><span class="logo">▤</span> cachestack <small>demo catalog</small></a>
<nav class="who">${who} <a href="/_cachestack">Dashboard</a> <a href="/metrics">Metrics</a></nav></header>
<div id="outage" class="banner" hidden>The database is down. Pages are served by the cache; anything not cached fails until it is back.</div>
<div class="shell">
<aside class="categories">${p.side}</aside>
<main><h1>${esc(p.title)}</h1>${p.main}</main>
<aside class="layers" aria-label="cache layers">
<section class="card"><h2>How this page was served</h2><p class="total" id="trail-total"></p><ol id="trail" class="trail"></ol></section>
<section class="card"><h2>Layers <small>live hit ratio</small></h2><ul id="layers" class="layers-list"></ul></section>
<section class="card"><h2>Try it</h2><div class="buttons">
<button type="button" id="btn-stampede">Stampede: 1,000 requests</button>
<button type="button" id="btn-db" class="danger">Take the database down</button>
<button type="button" id="btn-pricing">Slow the pricing API to 2 s</button>
<button type="button" id="btn-load">Run the load test (2 × 3 s)</button>
</div><output id="demo-output"></output><div id="load-result"></div></section>
</aside>
</div>
<footer id="live-stats"></footer><script type="module" src="${esc(p.js)}"></script></body></html>`
}

export function sidebar(categories: { category: string; count: number }[], renderedAt: Date): string {
  return `<nav><h2>Categories</h2><ul>${categories.map((c) => `<li>${esc(c.category)} (${c.count})</li>`).join('')}</ul>
<p><small>fragment rendered ${esc(renderedAt.toISOString())}</small></p></nav>`
}

export type Priced = Product & { discountPercent: number; finalPrice: number }

export function productList(products: Priced[], page: number): string {
  const rows = products
    .map(
      (p) =>
        `<tr data-id="${p.id}"><td><a href="/product/${p.id}">${esc(p.name)}</a></td><td>${esc(p.category)}</td><td class="price">${p.finalPrice.toFixed(2)} €</td></tr>`,
    )
    .join('')
  const prev = page > 1 ? `<a href="/?page=${page - 1}">Previous page</a> · ` : ''
  return `<form action="/search"><input name="q" placeholder="Search (eco, pro, garden…)"> <button>Search</button></form>
<table id="products"><thead><tr><th>Product</th><th>Category</th><th>Price</th></tr></thead><tbody>${rows}</tbody></table>
<p>${prev}<a href="/?page=${page + 1}">Next page</a></p>`
}

export function searchResults(q: string, products: Product[]): string {
  const items = products.map((p) => `<li><a href="/product/${p.id}">${esc(p.name)}</a></li>`).join('')
  return `<p>${products.length} products match “${esc(q)}”.</p><ul id="results">${items}</ul>`
}

export function productDetail(p: Priced, views: number | undefined, error?: string): string {
  return `<p>${esc(p.description)}</p><p>List price <span id="list-price">${p.price.toFixed(2)} €</span>,
discount ${p.discountPercent} % (from the pricing service), <strong id="price" class="price">${p.finalPrice.toFixed(2)} €</strong></p>
<p id="views">${views === undefined ? 'views unavailable (the database is down)' : `${views} views`}</p>
<form id="edit-price" method="post" action="/product/${p.id}/price"><label>New list price
<input name="price" type="number" step="0.01" min="0.01" value="${p.price.toFixed(2)}"></label> <button>Save</button></form>
${error ? `<p class="error">${esc(error)}</p>` : ''}
<section class="card api" data-api="/api/products/${p.id}"><h2>The same product from the JSON API</h2>
<button type="button">GET /api/products/${p.id}</button> <code class="cache-status"></code> <span class="timing"></span>
<p class="total"></p><ol class="trail"></ol></section>`
}

export function loginForm(error?: string): string {
  return `<form id="login-form" method="post" action="/login"><p><label>Name <input name="name" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label> (any name, password “demo”)</p>
<button>Log in</button></form>${error ? `<p class="error">${esc(error)}</p>` : ''}`
}
