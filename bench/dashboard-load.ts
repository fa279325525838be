/**
 * The dashboard's responsiveness under a large cluster state, for bench:api: headless Chromium
 * (Debian's `chromium` through playwright-core; `WRT_CHROMIUM` names another binary) opens `/ui`
 * with a token, then shows the actors list, the tasks list (and pages through it) and the
 * overview, timing each from asking (a hash change or a click) to the view drawn with its rows.
 * Meanwhile a `PerformanceObserver` for `longtask` records every main-thread task over 50 ms (the
 * W3C Long Tasks API's threshold: a page that runs none keeps answering input within ~50 ms),
 * counted from the first drawn view on (the bundle's first evaluation is the page load).
 */
import { existsSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../tests/helpers/chromium.js';

/** Times of the dashboard's views, ms (wall clock in the page), and what its main thread did. */
export interface DashboardFigures {
  /** Navigation to the overview drawn (includes loading the bundle). */
  overviewFirstMs: number;
  /** `#/actors` asked for → its first page of 100 rows drawn. */
  actorsMs: number;
  /** `#/tasks` asked for → its first page of 100 rows drawn. */
  tasksMs: number;
  /** "next ›" clicked → the next page of tasks drawn, median of `pages` clicks. */
  nextPageMs: number;
  pages: number;
  /** `#/` asked for again → the overview drawn. */
  overviewMs: number;
  /** Main-thread tasks over 50 ms after the first view, and the longest of them (0 when none). */
  longTasks: number;
  longestTaskMs: number;
  /** Seconds the page stayed on the tasks list refreshing every second while watched. */
  watchedSeconds: number;
  /** The page's JS heap in use at the end, bytes (Chromium's `performance.memory`). */
  jsHeapBytes: number;
}

/** Measures the dashboard at `httpUrl` (the head's HTTP address) with `token`; null when there is no Chromium. */
export async function measureDashboard(httpUrl: string, token: string, pages = 5, watchSeconds = 5): Promise<DashboardFigures | null> {
  if (!existsSync(CHROMIUM)) return null;
  const { browser, close } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      const w = window as unknown as { longTasks: number[]; countFrom: number };
      w.longTasks = [];
      w.countFrom = Infinity;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.startTime >= w.countFrom) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    const drawn = async (selector: string, rows: number, after: number): Promise<number> => {
      const handle = await page.waitForFunction(
        ({ selector, rows, after }) => {
          const at = Number(document.body.dataset.refreshedAt ?? 0);
          return at > after && document.querySelectorAll(selector).length >= rows ? performance.now() : 0;
        },
        { selector, rows, after },
        { timeout: 60_000 },
      );
      return await handle.jsonValue();
    };
    const wallNow = (): Promise<{ t: number; wall: number }> => page.evaluate(() => ({ t: performance.now(), wall: Date.now() }));

    await page.goto(`${httpUrl}/ui#token=${encodeURIComponent(token)}`);
    const overviewFirstMs = await drawn('main table tbody tr', 1, 0);
    await page.evaluate(() => ((window as unknown as { countFrom: number }).countFrom = performance.now()));

    const show = async (hash: string, selector: string, rows: number): Promise<number> => {
      const start = await wallNow();
      await page.evaluate((h) => (location.hash = h), hash);
      return (await drawn(selector, rows, start.wall)) - start.t;
    };
    const actorsMs = await show('#/actors', '.list-actors tbody tr', 100);
    const tasksMs = await show('#/tasks', '.list-tasks tbody tr', 100);
    const nextTimes: number[] = [];
    for (let i = 0; i < pages; i++) {
      const start = await wallNow();
      const before = await page.locator('.list-tasks .position').textContent();
      await page.locator('.list-tasks button.next').click();
      // "next" redraws at once (not at the next second's refresh): done when the position and
      // the full page of rows are there.
      const handle = await page.waitForFunction(
        (b) =>
          document.querySelector('.list-tasks .position')?.textContent !== b &&
          document.querySelectorAll('.list-tasks tbody tr').length >= 100
            ? performance.now()
            : 0,
        before,
      );
      nextTimes.push((await handle.jsonValue()) - start.t);
    }
    await page.waitForTimeout(watchSeconds * 1000); // the tasks list refreshes every second meanwhile
    const overviewMs = await show('#/', 'main table tbody tr', 1);
    const after = await page.evaluate(() => ({
      longTasks: (window as unknown as { longTasks: number[] }).longTasks,
      heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
    }));
    const round = (x: number): number => Math.round(x * 10) / 10;
    return {
      overviewFirstMs: round(overviewFirstMs),
      actorsMs: round(actorsMs),
      tasksMs: round(tasksMs),
      nextPageMs: round([...nextTimes].sort((a, b) => a - b)[Math.floor(nextTimes.length / 2)] ?? 0),
      pages,
      overviewMs: round(overviewMs),
      longTasks: after.longTasks.length,
      longestTaskMs: round(Math.max(0, ...after.longTasks)),
      watchedSeconds: watchSeconds,
      jsHeapBytes: after.heap,
    };
  } finally {
    await close();
  }
}
