/**
 * The service worker's runtime: the script that runs in the browser, as
 * source text. {@link buildServiceWorker} prepends its configuration (`C`)
 * and serves the two as one file, with no import and no library.
 *
 * It is kept as text, not as a function turned into a string, so what ships
 * is exactly what the browser tests ran, whatever transpiler loaded this
 * module (a transpiler's helpers would not exist in the worker). It avoids
 * template literals so it can sit in one here.
 *
 * What it does, in order of the handlers:
 * - install: opens `<name>-precache-<version>`, copies each fingerprinted URL
 *   an older precache already holds (it cannot have changed), fetches the
 *   rest, and fails the install (the old worker stays) if any fetch fails;
 *   then tells open pages a new version is waiting.
 * - activate: deletes every `<name>-*` cache of other versions, turns
 *   navigation preload on, and claims open pages.
 * - fetch (same origin only): requests with `Authorization` and every
 *   non-GET go to the network and are never stored; fingerprinted URLs are
 *   cache-first from the precache; then the first matching route's strategy;
 *   then navigations, network-first with the offline page as the last
 *   resort; anything else is left to the browser. A response carrying
 *   `Clear-Site-Data` (or its copy `Cachestack-Clear-Site-Data`, which
 *   Chromium does not hide from the worker) with `"cache"`, `"storage"` or
 *   `"*"` deletes every `<name>-*` cache before the page sees it.
 * - message: `cachestack:skip-waiting` activates a waiting version,
 *   `cachestack:clear` deletes the caches (for a logout that redirects, whose
 *   headers a worker cannot read).
 * @module
 */

/** @internal The runtime, expecting a `const C` (the {@link WorkerConfig}) before it. */
export const RUNTIME_SOURCE = String.raw`'use strict';
var P = C.name + '-';
var PRE = P + 'precache-' + C.version;
var STAMP = 'x-cachestack-stored';
var IMMUTABLE = new Set(C.immutable);
var PRECACHED = { cache: PRE, maxAge: 0, maxEntries: 0, private: false, timeout: 0 };
var NAV = C.navigation && Object.assign({}, C.navigation, { cache: P + 'pages-' + C.version });
var ROUTES = C.routes.map(function (r) {
  var re = r.regexp === undefined ? null : new RegExp(r.regexp, r.flags);
  var pre = r.prefix === undefined ? '' : r.prefix.replace(/\/$/, '');
  return Object.assign({}, r, {
    cache: P + r.cache + '-' + C.version,
    test: re ? function (p) { return re.test(p); } : function (p) {
      return p === pre || p.startsWith(pre + '/') || p.startsWith(pre + '?');
    },
  });
});

self.addEventListener('install', function (e) { e.waitUntil(install()); });
self.addEventListener('activate', function (e) { e.waitUntil(activate()); });
self.addEventListener('message', function (e) {
  var type = e.data && e.data.type;
  if (type === 'cachestack:skip-waiting') e.waitUntil(self.skipWaiting());
  else if (type === 'cachestack:clear') e.waitUntil(clear());
});
self.addEventListener('fetch', onFetch);

async function install() {
  var cache = await caches.open(PRE);
  try {
    var old = (await caches.keys()).filter(function (n) { return n.startsWith(P + 'precache-') && n !== PRE; });
    await Promise.all(C.precache.map(function (url) { return precacheOne(cache, url, old); }));
  } catch (err) {
    await caches.delete(PRE);
    throw err;
  }
  if (self.registration.active) await tell({ type: 'cachestack:waiting', version: C.version });
  if (C.skipWaiting) await self.skipWaiting();
}

async function precacheOne(cache, url, old) {
  if (await cache.match(url)) return;
  if (IMMUTABLE.has(url)) {
    // Its name holds its content's hash: the copy an older version holds is this one.
    for (var i = 0; i < old.length; i++) {
      var hit = await caches.match(url, { cacheName: old[i] });
      if (hit) return cache.put(url, hit);
    }
  }
  var res = await fetch(new Request(url, { cache: IMMUTABLE.has(url) ? 'default' : 'reload' }));
  if (!res.ok) throw new Error('cachestack: precaching ' + url + ' answered HTTP ' + res.status);
  await cache.put(url, stamp(res));
}

async function activate() {
  var keep = new Set([PRE].concat(NAV ? [NAV.cache] : [], ROUTES.map(function (r) { return r.cache; })));
  var names = await caches.keys();
  await Promise.all(names.filter(function (n) { return n.startsWith(P) && !keep.has(n); }).map(function (n) {
    return caches.delete(n);
  }));
  var preload = self.registration.navigationPreload;
  if (preload) await (C.navigationPreload ? preload.enable() : preload.disable());
  if (C.claim) await self.clients.claim();
}

function onFetch(e) {
  var req = e.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var path = url.pathname + url.search;
  if (req.method !== 'GET' || req.headers.has('authorization')) return e.respondWith(network(e, req));
  if (IMMUTABLE.has(path)) return e.respondWith(cacheFirst(e, req, PRECACHED));
  for (var i = 0; i < ROUTES.length; i++) {
    var r = ROUTES[i];
    if (r.test(path)) return e.respondWith(STRATEGIES[r.strategy](e, req, r));
  }
  if (req.mode === 'navigate' && NAV) e.respondWith(STRATEGIES[NAV.strategy](e, req, NAV));
}

var STRATEGIES = {
  'cache-first': cacheFirst,
  'network-first': networkFirst,
  'stale-while-revalidate': staleWhileRevalidate,
  'network-only': network,
};

async function network(e, req) {
  var res = null;
  if (req.mode === 'navigate' && e.preloadResponse) res = await e.preloadResponse.catch(function () { return null; });
  if (!res) res = await fetch(req);
  // Chromium acts on Clear-Site-Data itself (HTTP cache only) and hides it from the worker: clearSiteData() sends a copy it can read.
  var csd = res.headers.get('clear-site-data') || res.headers.get('cachestack-clear-site-data');
  if (csd && /"(cache|storage|\*)"/.test(csd)) await clear();
  return res;
}

async function cacheFirst(e, req, route) {
  var hit = await caches.match(req, { cacheName: route.cache });
  if (hit && fresh(hit, route)) return hit;
  return store(e, req, route, await network(e, req));
}

async function networkFirst(e, req, route) {
  var net = network(e, req).then(function (res) { return store(e, req, route, res); });
  if (route.timeout > 0) {
    var first = await Promise.race([net.catch(function () {}), new Promise(function (r) { setTimeout(r, route.timeout); })]);
    if (first && first.status < 500) return first;
    var early = await fallback(req, route);
    if (early) {
      e.waitUntil(net.catch(function () {}));
      return early;
    }
  }
  try {
    var res = await net;
    if (res.status < 500) return res;
    return (await fallback(req, route)) || res;
  } catch (err) {
    var hit = await fallback(req, route);
    if (hit) return hit;
    throw err;
  }
}

async function staleWhileRevalidate(e, req, route) {
  var hit = await caches.match(req, { cacheName: route.cache });
  var before = hit && hit.clone();
  var net = network(e, req).then(async function (res) {
    if (!storable(req, res, route)) {
      if (hit) await caches.open(route.cache).then(function (c) { return c.delete(req); });
      return res;
    }
    await put(route, req, res.clone());
    if (before && (await changed(before, res.clone()))) await tell({ type: 'cachestack:updated', cacheName: route.cache, url: req.url });
    return res;
  });
  if (hit && fresh(hit, route)) {
    e.waitUntil(net.catch(function () {}));
    return hit;
  }
  return net;
}

async function fallback(req, route) {
  var hit = await caches.match(req, { cacheName: route.cache });
  if (hit && fresh(hit, route)) return hit;
  hit = await caches.match(req, { cacheName: PRE });
  if (hit) return hit;
  if (req.mode === 'navigate' && C.offline) return caches.match(C.offline, { cacheName: PRE });
}

function store(e, req, route, res) {
  if (storable(req, res, route)) e.waitUntil(put(route, req, res.clone()));
  return res;
}

function storable(req, res, route) {
  if (res.status !== 200 || res.type === 'opaque' || req.headers.has('authorization')) return false;
  var cc = (res.headers.get('cache-control') || '').toLowerCase();
  if (/(^|[,\s])no-store\b/.test(cc)) return false;
  if (!route.private && /(^|[,\s])private\b/.test(cc)) return false;
  return (res.headers.get('vary') || '').indexOf('*') === -1;
}

function fresh(res, route) {
  if (!route.maxAge) return true;
  var at = Number(res.headers.get(STAMP));
  return at > 0 && Date.now() - at <= route.maxAge;
}

function stamp(res) {
  var headers = new Headers(res.headers);
  headers.set(STAMP, String(Date.now()));
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: headers });
}

async function put(route, req, res) {
  try {
    var cache = await caches.open(route.cache);
    await cache.put(req, stamp(res));
    if (route.maxEntries > 0) {
      // keys() lists entries in the order they were written; a revalidation rewrites an entry, so the first are the least used.
      var keys = await cache.keys();
      for (var i = 0; i < keys.length - route.maxEntries; i++) await cache.delete(keys[i]);
    }
  } catch (err) {
    // A full quota or a dropped body: the response was sent all the same.
  }
}

async function changed(a, b) {
  var ea = a.headers.get('etag');
  var eb = b.headers.get('etag');
  if (ea && eb) return ea !== eb;
  return (await a.text()) !== (await b.text());
}

async function clear() {
  var names = await caches.keys();
  await Promise.all(names.filter(function (n) { return n.startsWith(P); }).map(function (n) { return caches.delete(n); }));
}

async function tell(message) {
  var pages = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (var i = 0; i < pages.length; i++) pages[i].postMessage(message);
}
`
