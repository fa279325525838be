/**
 * Entry of the browser bundle the head's page loads (/assets/node-agent.js): runs the node agent of
 * this tab in a dedicated worker (node-worker.ts) and is the tab's face to its owner — what it runs,
 * its trust record, pause/resume and a CPU share control — and a good guest: it offers nothing
 * while the battery is low and not charging (Battery Status API) and one slot less under serious,
 * half its slots under critical CPU pressure (Compute Pressure API; at least one, since its own
 * slots are part of that pressure), where the browser has them. Closing the tab ends the worker and its slots.
 * Exposes `globalThis.wrtNode` (the status below) for tests.
 */
import type { NodeAgentEvent } from '../../node/node-context.js';
import type { FromAgent, ToAgent } from './worker-messages.js';

const $ = (id: string): HTMLElement | null => document.getElementById(id);
const log = (line: string): void => {
  const el = $('log');
  if (el) el.textContent = `${new Date().toISOString().slice(11, 19)} ${line}\n${el.textContent ?? ''}`.slice(0, 20_000);
};

/** Deployments the tab keeps in its status (the latest). */
const KEPT_DEPLOYMENTS = 1000;

const status = {
  state: 'starting' as 'starting' | 'connected' | 'disconnected' | 'error',
  nodeId: '',
  role: 'node' as 'node' | 'volunteer',
  /** Slots the agent registered with, and how many it offers now (0: paused or held back). */
  slots: 0,
  offered: 0,
  paused: false,
  /** Why it offers less than its share: '', 'battery', 'pressure: serious', 'pressure: critical'. */
  holdBack: '',
  tasksFinished: 0,
  tasksFailed: 0,
  operators: [] as string[],
  /** Job ids of the work it was given ('' for remote-function tasks). */
  jobs: [] as string[],
  /** Every deployment it received (the latest {@link KEPT_DEPLOYMENTS}), and how many in all. */
  deployments: [] as { jobId: string; taskId: string; kind: string; operator: string }[],
  deploymentCount: 0,
  trust: null as Extract<NodeAgentEvent, { type: 'trust' }>['report'] | null,
  error: '',
};
(globalThis as { wrtNode?: typeof status }).wrtNode = status;

/** The owner's CPU share (slots), and the caps the battery and CPU pressure put on it. */
let share = 0;
let batteryLow = false;
let pressure: 'nominal' | 'fair' | 'serious' | 'critical' = 'nominal';
let worker: Worker | null = null;

function send(m: ToAgent): void {
  worker?.postMessage(m);
}

/** What the tab offers now: its share, unless paused, on a low battery, or under CPU pressure. */
function applyOffer(): void {
  let offered = status.paused ? 0 : share;
  status.holdBack = '';
  if (!status.paused && batteryLow) {
    offered = 0;
    status.holdBack = 'battery';
  } else if (!status.paused && (pressure === 'serious' || pressure === 'critical') && share > 1) {
    // Backs off, never stops: the tab's own slots are part of the pressure it sees.
    offered = pressure === 'critical' ? Math.max(1, Math.floor(share / 2)) : share - 1;
    status.holdBack = `pressure: ${pressure}`;
  }
  if (offered !== status.offered) send({ type: 'offer', cpus: offered });
  status.offered = offered;
  render();
}

function render(): void {
  const text = (id: string, v: string): void => {
    const el = $(id);
    if (el) el.textContent = v;
  };
  text('state', status.state + (status.holdBack ? ` (holding back: ${status.holdBack})` : status.paused ? ' (paused)' : ''));
  text('tasks', String(status.tasksFinished));
  text('jobs', status.jobs.filter(Boolean).join(', ') || (status.deploymentCount ? 'tasks' : '—'));
  const cores = navigator.hardwareConcurrency || 1;
  text(
    'cpu',
    `${status.offered} of ${status.slots} slots (${Math.round((100 * status.offered) / cores)} % of this device's ${cores} cores)`,
  );
  const t = status.trust;
  text('trust', t ? `${t.valid} verified, ${t.invalid} invalid${t.quarantined ? ' — quarantined' : t.trusted ? ' — trusted' : ''}` : '—');
  const pause = $('pause');
  if (pause) pause.textContent = status.paused ? 'Resume' : 'Pause';
}

function onAgentEvent(e: NodeAgentEvent): void {
  if (e.type === 'registered') {
    status.state = 'connected';
    status.nodeId = e.nodeId;
    log(`joined the cluster as ${e.nodeId} (${status.role})`);
  } else if (e.type === 'deployed') {
    status.deploymentCount++;
    status.deployments.push({ jobId: e.jobId, taskId: e.taskId, kind: e.kind, operator: e.operator });
    if (status.deployments.length > KEPT_DEPLOYMENTS) status.deployments.shift();
    if (!status.jobs.includes(e.jobId)) status.jobs.push(e.jobId);
  } else if (e.type === 'task-finished') {
    status.tasksFinished++;
    if (status.operators.length < KEPT_DEPLOYMENTS) status.operators.push(e.operator);
    log(`${e.taskId}: ${e.operator} finished in ${e.elapsedMs.toFixed(1)} ms`);
  } else if (e.type === 'task-failed') {
    status.tasksFailed++;
    log(`${e.taskId} failed: ${e.message}`);
  } else if (e.type === 'trust') {
    status.trust = e.report;
    if (e.report.quarantined) log('the head quarantined this tab: its results disagreed with others');
  } else if (e.type === 'disconnected') {
    status.state = 'disconnected';
    log(`disconnected: ${e.reason}`);
  }
  render();
}

/** Where the browser has them: hold back on a low battery, and under CPU pressure. */
async function watchPower(): Promise<void> {
  const nav = navigator as Navigator & { getBattery?: () => Promise<EventTarget & { level: number; charging: boolean }> };
  if (nav.getBattery) {
    const battery = await nav.getBattery().catch(() => null);
    if (battery) {
      const check = (): void => {
        batteryLow = !battery.charging && battery.level < 0.2;
        applyOffer();
      };
      battery.addEventListener('levelchange', check);
      battery.addEventListener('chargingchange', check);
      check();
    }
  }
  type PressureRecord = { state: typeof pressure };
  const Observer = (
    globalThis as { PressureObserver?: new (cb: (records: PressureRecord[]) => void) => { observe(source: string): Promise<void> } }
  ).PressureObserver;
  if (Observer) {
    const observer = new Observer((records) => {
      pressure = records.at(-1)?.state ?? 'nominal';
      applyOffer();
    });
    await observer.observe('cpu').catch(() => {});
  }
}

function start(): void {
  if (!crossOriginIsolated) {
    status.state = 'error';
    status.error = 'the page is not cross-origin isolated, so SharedArrayBuffer is unavailable';
    log(status.error);
    return;
  }
  const address = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const params = new URLSearchParams(location.search);
  const cpus = Math.min(Number(params.get('cpus')) || navigator.hardwareConcurrency || 1, navigator.hardwareConcurrency || 64);
  // The credential rides in the fragment (never sent to a server): the cluster secret joins a
  // trusted node, a volunteer link's token a volunteer.
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  status.role = token.startsWith('wrt.volunteer.') ? 'volunteer' : 'node';
  if (!token) log('no credential in this page address: open the volunteer link the head printed (it ends in #token=…)');
  const w = new Worker('/assets/node-worker.js', { type: 'module' });
  worker = w;
  w.addEventListener('message', (ev: MessageEvent<FromAgent>) => {
    const m = ev.data;
    if (m.type === 'event') onAgentEvent(m.event);
    else if (m.type === 'started') {
      status.slots = m.cpus;
      status.offered = m.cpus;
      share = m.cpus;
      const select = $('share') as HTMLSelectElement | null;
      if (select) {
        select.replaceChildren(
          ...Array.from({ length: m.cpus }, (_, i) => new Option(`${i + 1} slot${i ? 's' : ''}`, String(i + 1), false, i + 1 === m.cpus)),
        );
        select.disabled = false;
      }
      void watchPower();
      applyOffer();
    } else {
      status.state = 'error';
      status.error = m.message;
      log(m.message);
      render();
    }
  });
  w.addEventListener('error', (ev) => {
    status.state = 'error';
    status.error = ev.message || 'the node worker failed to start';
    log(status.error);
    render();
  });
  send({ type: 'start', address, token, role: status.role, cpus, name: params.get('name') ?? undefined });
  $('pause')?.addEventListener('click', () => {
    status.paused = !status.paused;
    log(status.paused ? 'paused: running units finish, no new ones come' : 'resumed');
    applyOffer();
  });
  $('share')?.addEventListener('change', (ev) => {
    share = Number((ev.target as HTMLSelectElement).value);
    applyOffer();
  });
  // Leave nothing running: the worker (and its slot workers) end with the page.
  addEventListener('pagehide', () => {
    send({ type: 'stop' });
    w.terminate();
  });
}

/** For tests and scripts: pause (true) or resume (false), as the button does. */
(globalThis as { wrtPause?: (paused: boolean) => void }).wrtPause = (paused) => {
  status.paused = paused;
  applyOffer();
};

start();
