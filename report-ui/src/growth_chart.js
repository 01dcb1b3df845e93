// Counts per snapshot as lines (uPlot on a canvas). Leaks often grow alike (eight clusters at
// 3 → 8 → 15), so each series has its own colour and dash, and the cursor brings the nearest
// one forward.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';
import { num } from './format.js';

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
  '#17becf', '#bcbd22', '#7f7f7f'];
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];

function seriesStyle(index) {
  return {
    stroke: COLOURS[index % COLOURS.length],
    dash: DASHES[Math.floor(index / COLOURS.length) % DASHES.length],
  };
}

// `series`: [{label, counts}], counts one per snapshot. Returns the element holding the chart.
export function growthChart(snapshots, series, { width, height = 220, legend = true } = {}) {
  const holder = h('div', { class: 'growth-chart' });
  const xs = snapshots.map((_, index) => index + 1);
  const data = [xs, ...series.map((one) => one.counts.map(num))];
  const options = {
    width: width ?? 640,
    height,
    legend: { show: legend },
    cursor: { focus: { prox: 16 } },
    focus: { alpha: 0.25 },
    scales: { x: { time: false }, y: { range: (_, min, max) => [0, Math.max(max * 1.1, 1)] } },
    axes: [
      {
        label: 'snapshot',
        values: (_, ticks) => ticks.map((tick) => (Number.isInteger(tick) ? `#${tick}` : '')),
        splits: () => xs,
      },
      { label: 'goroutines' },
    ],
    series: [
      { label: 'snapshot', value: (_, value) => (value == null ? '' : snapshotName(snapshots, value)) },
      ...series.map((one, index) => ({
        label: one.label,
        width: 2,
        points: { size: 7 },
        ...seriesStyle(index),
      })),
    ],
  };
  // uPlot measures its container: draw once the holder is in the document.
  requestAnimationFrame(() => {
    const chart = new uPlot(options, data, holder);
    if (width === undefined) {
      const fit = () => chart.setSize({ width: Math.max(holder.clientWidth, 320), height });
      fit();
      new ResizeObserver(fit).observe(holder);
    }
  });
  return holder;
}

function snapshotName(snapshots, x) {
  const snapshot = snapshots[x - 1];
  if (!snapshot) return '';
  const name = snapshot.source.split('/').pop();
  return `#${x} ${name}`;
}
