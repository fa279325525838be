/**
 * A job's graph as SVG: vertices laid out left to right by `@dagrejs/dagre` (its layered layout,
 * after Sugiyama et al.), each box coloured by its back-pressure level — green `ok`, amber `low`,
 * red `high` (Flink's bands) — with its records per second in and out.
 */
import dagre from '@dagrejs/dagre';
import { count, svg } from './dom.js';
import type { JobDetail } from '../../../head/job-views.js';

const BOX = { width: 190, height: 70 };
const FILL = { ok: '#e3f4e1', low: '#fdf0cf', high: '#fbd9d6' } as const;
const STROKE = { ok: '#4c9a45', low: '#c78d00', high: '#c8372d' } as const;

/** The SVG of `job`'s vertices and edges. */
export function jobGraph(job: Pick<JobDetail, 'vertices' | 'edges'>): SVGSVGElement {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const v of job.vertices) g.setNode(v.id, { ...BOX });
  for (const e of job.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const size = g.graph();
  const root = svg('svg', {
    class: 'job-graph',
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    viewBox: `0 0 ${Math.ceil(size.width ?? 0)} ${Math.ceil(size.height ?? 0)}`,
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#777' }),
      ),
    ),
  );
  for (const e of job.edges) {
    const points: { x: number; y: number }[] = (g.edge(e.from, e.to) as { points?: { x: number; y: number }[] } | undefined)?.points ?? [];
    const d = points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    root.append(
      svg(
        'path',
        { class: 'edge', d, fill: 'none', stroke: '#777', 'stroke-width': 1.4, 'marker-end': 'url(#arrow)' },
        svg('title', {}, `${e.from} → ${e.to} (${e.partitioning})`),
      ),
    );
  }
  for (const v of job.vertices) {
    const n = g.node(v.id);
    const x = n.x - BOX.width / 2;
    const y = n.y - BOX.height / 2;
    const level = v.backPressureLevel;
    root.append(
      svg(
        'g',
        { class: `vertex bp-${level}`, 'data-vertex': v.id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` },
        svg('rect', { width: BOX.width, height: BOX.height, rx: 6, fill: FILL[level], stroke: STROKE[level], 'stroke-width': 1.5 }),
        svg('text', { x: 10, y: 20, class: 'vertex-name' }, v.id),
        svg('text', { x: 10, y: 38, class: 'vertex-kind' }, `${v.kind}${v.operator ? ` ${v.operator}` : ''} ×${v.parallelism}`),
        svg(
          'text',
          { x: 10, y: 56, class: 'vertex-rates' },
          v.recordsIn === null
            ? ''
            : `in ${count(v.recordsInPerSecond)}/s · out ${count(v.recordsOutPerSecond)}/s · bp ${Math.round(v.backPressure * 100)}%`,
        ),
        svg('title', {}, `${v.id}: ${count(v.recordsIn)} records in, ${count(v.recordsOut)} out; back-pressure ${level}`),
      ),
    );
  }
  return root;
}
