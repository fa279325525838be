/**
 * The dashboard's page at `/ui`: a shell that loads the bundle built from
 * runtime/launch/browser/dashboard-main.ts (`/assets/dashboard.js`, its styles
 * `/assets/dashboard.css`). It holds no secret; the bundle reads the REST API with the token the
 * page was opened with.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wrt dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
  header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #1d2433; color: #fff; }
  header a { color: #cfd8ea; text-decoration: none; margin-right: 1rem; }
  header a:hover { color: #fff; }
  header .sign-out { float: right; opacity: .7; }
  main { padding: 1rem 1.2rem 3rem; max-width: 80rem; }
  h1 { font-size: 1.3rem; margin: .3rem 0; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; font-size: 13px; }
  th, td { padding: .25rem .6rem; border-bottom: 1px solid #e6e6ea; text-align: left; white-space: nowrap; }
  th { background: #f0f1f4; font-weight: 600; }
  .cards { display: flex; flex-wrap: wrap; gap: .8rem; }
  .card { background: #fff; border: 1px solid #e3e3e8; border-radius: 6px; padding: .6rem .9rem; min-width: 10rem; }
  .card .label { color: #666; font-size: 12px; }
  .card .value { font-size: 1.05rem; font-weight: 600; }
  .state { font-weight: 600; }
  .state-running, .state-alive { color: #2f7d32; }
  .state-failed, .state-dead { color: #c62828; }
  .state-cancelled { color: #8a6d00; }
  .error { color: #c62828; margin: .4rem 1.2rem; }
  .actions button { margin-right: .5rem; }
  button.danger { color: #b00020; }
  .job-graph text { font: 12px system-ui, sans-serif; }
  .job-graph .vertex-name { font-weight: 600; }
  .job-graph .vertex-kind, .job-graph .vertex-rates { fill: #444; font-size: 11px; }
  .graph { overflow-x: auto; background: #fff; border: 1px solid #e3e3e8; border-radius: 6px; padding: .4rem; }
  .toolbar { display: flex; gap: .5rem; align-items: center; margin: .4rem 0; }
  .empty { color: #777; }
  .token-form { max-width: 40rem; margin: 3rem auto; }
  .token-form input { width: 100%; margin: .5rem 0; font: 13px ui-monospace, monospace; }
</style>
</head>
<body>
<div id="app"><p style="margin:2rem">loading… (the dashboard needs JavaScript and the browser bundle: <code>npm run build</code>)</p></div>
<script type="module" src="/assets/dashboard.js"></script>
</body>
</html>
`;
}
