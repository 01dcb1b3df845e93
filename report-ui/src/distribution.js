// Small bar charts of how a cluster's goroutines spread: their waits, and their ages read from
// goroutine ids (ids grow with time, so a cluster spread over the whole id range was created
// all along the process's life, one bunched at the start is start-up work).
import { h } from './dom.js';
import { duration, num } from './format.js';

export function barChart(title, bars, caption) {
  const max = Math.max(1, ...bars.map((bar) => bar.count));
  return h('figure', { class: 'bars' },
    h('figcaption', {}, title),
    h('div', { class: 'bar-rows' },
      bars.map((bar) => h('div', { class: 'bar-row' },
        h('span', { class: 'bar-label' }, bar.label),
        h('span', { class: 'bar-track' },
          h('span', { class: 'bar', style: `width:${(100 * bar.count) / max}%` })),
        h('span', { class: 'bar-count' }, bar.count.toLocaleString('en-US'))))),
    caption ? h('p', { class: 'caption' }, caption) : null);
}

export function waitChart(wait) {
  const buckets = wait?.histogram ?? [];
  if (buckets.length === 0) return null;
  const bars = buckets.map((bucket) => {
    const from = bucket.at_least_seconds ?? 0;
    const below = bucket.below_seconds ?? 0;
    const label = below > 0 ? `${duration(from)}–${duration(below)}` : `≥ ${duration(from)}`;
    return { label, count: num(bucket.count) };
  });
  const notes = [];
  // The reason comes from where the waits came from: a dump's whole minutes, or the runtime's
  // and the tracer's dating.
  if (wait.lower_bound) notes.push(wait.lower_bound_why || 'each wait is at least this');
  if (wait.capped) notes.push('some waits were longer than the goroutine had lived and were capped at its age');
  return barChart('Wait', bars, notes.join('; '));
}

export function ageChart(deciles) {
  if (!deciles || deciles.length === 0) return null;
  const bars = deciles.map((count, index) => ({
    label: index === 0 ? 'oldest 10%' : index === deciles.length - 1 ? 'newest 10%' : `${index * 10}–${index * 10 + 10}%`,
    count: num(count),
  }));
  return barChart('Age (by goroutine id, last snapshot)', bars,
    'Where their ids fall in the snapshot\'s id range: ids grow as goroutines are created.');
}
