/**
 * The page's side of the service worker: a short inline script that
 * registers it and turns its messages into window events.
 * @module
 */
import { checkPath } from './options.js'

/**
 * A script for the page (inline, or in a file the page loads) that registers
 * the worker once the page has loaded, and dispatches each worker message as
 * a `CustomEvent` on `window`:
 * - `cachestack:waiting`: a new version is installed and waits for the open
 *   pages to close; `event.detail.activate()` activates it now (then reload);
 * - `cachestack:updated`: a stale-while-revalidate response changed
 *   (`event.detail.url`), so the page may fetch it again.
 *
 * @param options - `url` of the worker (default `'/sw.js'`) and its `scope` (default: the worker's directory)
 * @example
 * ```ts
 * html`<script>${registerServiceWorker()}</script>
 *   <script>addEventListener('cachestack:waiting', (e) => { if (confirm('Update?')) e.detail.activate() })</script>`
 * ```
 */
export function registerServiceWorker(options: { url?: string; scope?: string } = {}): string {
  const url = JSON.stringify(checkPath(options.url ?? '/sw.js', 'url'))
  const scope = options.scope === undefined ? '' : `, { scope: ${JSON.stringify(checkPath(options.scope, 'scope'))} }`
  return `(function () {
  if (!('serviceWorker' in navigator)) return;
  var sw = navigator.serviceWorker;
  sw.addEventListener('message', function (e) {
    var d = e.data;
    if (!d || typeof d.type !== 'string' || d.type.indexOf('cachestack:') !== 0) return;
    var detail = Object.assign({}, d, { activate: function () { e.source && e.source.postMessage({ type: 'cachestack:skip-waiting' }); } });
    dispatchEvent(new CustomEvent(d.type, { detail: detail }));
  });
  sw.startMessages();
  function register() { sw.register(${url}${scope}).catch(function (err) { console.warn('service worker not registered:', err); }); }
  if (document.readyState === 'complete') register(); else addEventListener('load', register);
})();`.replaceAll('</', '<\\/')
}
