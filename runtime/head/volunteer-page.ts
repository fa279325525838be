/**
 * The head's page: opening it in a browser turns the tab into a worker node (the node agent,
 * bundled for the browser from the same sources as the Node node, served from /assets/).
 */
export function volunteerPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wrt node</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; }
  #state { font-weight: 600; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
  dt { color: #6e6e73; }
  #log { font: 12px/1.4 ui-monospace, monospace; background: #f4f4f6; padding: .75rem; height: 16rem; overflow: auto; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>wrt — this tab is a worker node</h1>
<p>While this page stays open, the tab runs WebAssembly work for the cluster in its own Web Workers,
sandboxed, with no access to this page or your files. Close the tab to leave: nothing keeps running.</p>
<p>The tab joins with the credential at the end of this page's address (<code>#token=…</code>, from the
link the cluster's operator shared; the browser never sends it to a server). A volunteer link makes
it an untrusted volunteer, whose results count once other volunteers' results agree with them; without
a credential the cluster refuses it. It offers nothing while the battery is low and not charging, and
fewer slots while the device is under CPU pressure, where the browser reports them.</p>
<dl>
  <dt>State</dt><dd id="state">starting…</dd>
  <dt>Running work of</dt><dd id="jobs">—</dd>
  <dt>Units finished</dt><dd id="tasks">0</dd>
  <dt>Results checked</dt><dd id="trust">—</dd>
  <dt>CPU share</dt><dd><span id="cpu">—</span> <select id="share" disabled aria-label="slots offered"></select>
    <button id="pause" type="button">Pause</button></dd>
</dl>
<div id="log"></div>
<script type="module" src="/assets/node-agent.js"></script>
</body>
</html>
`;
}

/**
 * A blank page for browser drivers: scripts on it import the SDK bundle (`/assets/sdk.js`) and
 * call `init()` to drive the cluster without joining it as a node.
 */
export function driverPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>wrt driver</title></head>
<body>
<p>wrt driver page: <code>const wrt = await import('/assets/sdk.js'); const rt = await wrt.init();</code>
(open it as <code>/driver#token=TOKEN</code> with a driver token, or pass <code>init({ token })</code>)</p>
</body>
</html>
`;
}
