// Counts per snapshot as lines (uPlot on a canvas). Leaks often grow alike (eight clusters at
// 3 → 8 → 15), so each series has its own colour and dash, and the cursor brings the nearest
// one forward. The legend is ours, not uPlot's: uPlot's shows the value under the cursor, "--"
// when there is none, where a reader wants each line's counts.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, svg } from './dom.js';
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

// A line as the chart draws it: its colour and its dash.
function swatch(style) {
  return svg('svg', { class: 'swatch', width: 28, height: 10, 'aria-hidden': 'true' },
    svg('line', {
      x1: 1, y1: 5, x2: 27, y2: 5, stroke: style.stroke, 'stroke-width': 2,
      'stroke-dasharray': style.dash.length > 0 ? style.dash.join(' ') : 'none',
    }));
}

function legendOf(series, chart) {
  return h('ul', { class: 'legend' }, series.map((one, index) => h('li', {
    class: 'legend-entry', 'data-series': index + 1,
    onmouseenter: () => chart.current?.setSeries(index + 1, { focus: true }),
    onmouseleave: () => chart.current?.setSeries(null, { focus: false }),
  },
  swatch(seriesStyle(index)),
  h('span', { class: 'legend-label', title: one.title }, one.label),
  h('span', { class: 'legend-counts' }, one.counts.map(num).join(' → '), one.each ? ' each' : null))));
}

// `series`: [{label, counts, title, each}], counts one per snapshot (`each` when a line stands
// for several clusters). Returns the element holding the
// chart, and its legend when `legend`.
export function growthChart(snapshots, series, { width, height = 220, legend = true } = {}) {
  const holder = h('div', { class: 'growth-chart' });
  const plot = h('div', { class: 'plot' });
  const chart = { current: null };
  holder.append(plot);
  if (legend) holder.append(legendOf(series, chart));
  const xs = snapshots.map((_, index) => index + 1);
  const data = [xs, ...series.map((one) => one.counts.map(num))];
  const options = {
    width: width ?? 640,
    height,
    legend: { show: false },
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
    chart.current = new uPlot(options, data, plot);
    // The drawn chart, for a test to read the series' strokes from.
    holder.uplot = chart.current;
    if (width === undefined) {
      const fit = () => chart.current.setSize({ width: Math.max(plot.clientWidth, 320), height });
      fit();
      new ResizeObserver(fit).observe(plot);
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
