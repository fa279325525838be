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
  #log { font: 12px/1.4 ui-monospace, monospace; background: #f4f4f6; padding: .75rem; height: 16rem; overflow: auto; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>wrt — this tab is a worker node</h1>
<p>While this page stays open, the tab runs WebAssembly tasks for the cluster in its own Web Workers,
sandboxed, with no access to this page or your files. Close the tab to leave.</p>
<p>The tab joins with the credential at the end of this page's address (<code>#token=…</code>, from the
link the cluster's operator shared; the browser never sends it to a server). A volunteer link makes
it an untrusted volunteer; without a credential the cluster refuses it.</p>
<p>State: <span id="state">starting…</span> · tasks finished: <span id="tasks">0</span></p>
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
