/** Server-rendered HTML for the demo. Every value is escaped. */
import type { Product } from './db.js'

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Escapes text for HTML. */
export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ESC[c]!)

export function layout(title: string, side: string, main: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · cachestack demo</title>
<link rel="stylesheet" href="/static/app.css"></head><body><aside>${side}</aside><main><h1>${esc(title)}</h1>${main}</main></body></html>`
}

export function sidebar(categories: { category: string; count: number }[]): string {
  return `<nav><h2>Categories</h2><ul>${categories.map((c) => `<li>${esc(c.category)} (${c.count})</li>`).join('')}</ul></nav>`
}

type Priced = Product & { discountPercent: number; finalPrice: number }

export function productList(products: Priced[], page: number): string {
  const rows = products
    .map(
      (p) =>
        `<tr data-id="${p.id}"><td><a href="/product/${p.id}">${esc(p.name)}</a></td><td>${esc(p.category)}</td><td class="price">${p.finalPrice.toFixed(2)} €</td></tr>`,
    )
    .join('')
  return `<table id="products"><thead><tr><th>Product</th><th>Category</th><th>Price</th></tr></thead><tbody>${rows}</tbody></table>
<p><a href="/?page=${page + 1}">Next page</a></p>`
}

export function productDetail(p: Priced): string {
  return `<p>${esc(p.description)}</p><p>List price <span id="list-price">${p.price.toFixed(2)} €</span>,
discount ${p.discountPercent} %, <strong id="price" class="price">${p.finalPrice.toFixed(2)} €</strong></p>`
}
