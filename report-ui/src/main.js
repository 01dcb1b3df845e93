// The HTML report: reads the JSON report the C++ reporter inlined (the same document
// `--format json` prints) and draws it. No request leaves the page: it is one file, offline.
import './report.css';
import { h } from './dom.js';
import { num, plural, site, verdictOf } from './format.js';
import { filters } from './filters.js';
import { finding } from './finding.js';
import { growthChart } from './growth_chart.js';
import { icicle } from './icicle.js';
import { processEnd } from './process_end.js';

function summaryLine(summary) {
  const leaks = num(summary.leaks);
  const suspects = num(summary.suspects);
  const parts = [`${plural(leaks, 'leak')}, ${plural(suspects, 'suspect')} in ${plural(num(summary.clusters), 'cluster')}`];
  if (num(summary.dropped_system) > 0) {
    parts.push(`${plural(num(summary.dropped_system), 'runtime and standard-library goroutine')} set aside`);
  }
  if (num(summary.baselined) > 0) parts.push(`${num(summary.baselined)} accepted by the baseline`);
  return parts.join('; ');
}

function isoTime(nanos) {
  return new Date(nanos / 1e6).toISOString().replace('.000Z', 'Z');
}

// The capture time with where it came from: a file's modification time is the copy's or the
// download's, not the capture's (a 2020 dump copied today reads as today's).
function capturedCell(snapshot) {
  const nanos = num(snapshot.captured_at_unix_nanos);
  const origin = snapshot.capture_time_origin;
  if (nanos <= 0 || origin === 'order given') {
    return h('td', { class: 'captured unknown', 'data-origin': 'order given' },
      'no time known: in the order given');
  }
  if (origin === 'file modification time') {
    return h('td', {
      class: 'captured caveat', 'data-origin': origin,
      title: 'The input holds no capture time: this is when its file was last modified, which for a copy or a download can be long after the capture.',
    }, `file modified ${isoTime(nanos)}, not the capture`);
  }
  const where = origin === 'profile' ? 'in the profile' : origin === 'time fetched' ? 'fetched' : origin;
  return h('td', { class: 'captured', 'data-origin': origin }, `${isoTime(nanos)} (${where})`);
}

function snapshotList(snapshots) {
  return h('table', { class: 'snapshots' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'snapshot'), h('th', {}, 'goroutines'),
      h('th', {}, 'format'), h('th', {}, 'captured'))),
    h('tbody', {}, snapshots.map((snapshot, index) => h('tr', {},
      h('td', {}, `${index + 1}`),
      h('td', {}, h('code', {}, snapshot.source), snapshot.reason ? h('span', { class: 'ended' }, ` ${snapshot.reason}`) : null),
      h('td', { class: 'number' }, num(snapshot.goroutines).toLocaleString('en-US')),
      h('td', {}, `${snapshot.format} (${snapshot.runtime})`),
      capturedCell(snapshot)))));
}

function deadButUnfreed(findings) {
  if (!findings || findings.length === 0) return null;
  return h('section', { class: 'dead' },
    h('h2', {}, 'Ended, not freed'),
    h('ul', {}, findings.map((one) => h('li', {},
      h('strong', {}, plural(num(one.count), 'green thread')), ` ${one.kind.replaceAll('_', ' ')}`,
      // Go's dead g's (the tracer): the stacks they still hold, which a GC frees.
      Number(one.stack_bytes ?? 0) > 0
        ? `, ${(Number(one.stack_bytes) / 1e6).toFixed(1)} MB of stacks still held`
        : null,
      // and the g structs themselves, which the runtime never frees
      Number(one.g_struct_bytes ?? 0) > 0
        ? `, ${(Number(one.g_struct_bytes) / 1e6).toFixed(1)} MB of g structs`
        : null,
      one.created_by?.function ? [', created by ', h('code', {}, site(one.created_by))] : null,
      ` (${num(one.alive_at_site).toLocaleString('en-US')} of its green threads alive`,
      num(one.peak_alive) > num(one.alive_at_site)
        ? `, ${num(one.peak_alive).toLocaleString('en-US')} at once in snapshot ${num(one.peak_snapshot) + 1}`
        : null,
      ')',
      one.explanation ? `: ${one.explanation}` : null,
      // which free lists they wait on, where the tracer read them: what frees their stacks
      one.free_lists_read
        ? h('div', { class: 'free-lists' },
          `free lists: ${num(one.on_global_free_list).toLocaleString('en-US')} on the global one (`,
          num(one.global_stack_bytes) > 0
            ? `the next GC frees their ${(num(one.global_stack_bytes) / 1e6).toFixed(1)} MB of stacks`
            : 'their stacks already freed',
          `), ${num(one.on_processor_free_lists).toLocaleString('en-US')} on P's own (kept, stacks and all, for their next goroutines)`,
          num(one.on_no_free_list) > 0
            ? `, ${num(one.on_no_free_list).toLocaleString('en-US')} on none (kept for cgo callbacks, or changing hands as read)`
            : null)
        : null))));
}

// Ranks as runs: #1–#8, #10.
function rankList(ranks) {
  const runs = [];
  for (const rank of ranks) {
    const run = runs[runs.length - 1];
    if (run && rank === run[1] + 1) run[1] = rank;
    else runs.push([rank, rank]);
  }
  return runs.map(([from, to]) => (from === to ? `#${from}` : `#${from}–#${to}`)).join(', ');
}

function overview(report) {
  const snapshots = report.snapshots ?? [];
  const growing = (report.clusters ?? []).filter((cluster) => verdictOf(cluster) !== 'expected');
  const section = h('section', { class: 'overview' }, h('h2', {}, 'Growth of leaks and suspects'));
  if (growing.length === 0) return null;
  if (snapshots.length < 2) {
    section.append(h('p', { class: 'empty' },
      'One snapshot: growth shows from two on. The verdicts read goroutine ids and waits instead.'));
    return section;
  }
  // Clusters that grew alike would draw one line over another and look like one: they share a
  // line, and its label says how many it stands for.
  const lines = new Map();
  growing.forEach((cluster, index) => {
    const counts = (cluster.count_per_snapshot ?? []).map(num);
    const key = counts.join(',');
    if (!lines.has(key)) lines.set(key, { counts, ranks: [], names: [] });
    const line = lines.get(key);
    line.ranks.push(index + 1);
    line.names.push(cluster.blocked_at?.function || cluster.blocking_operation || cluster.state);
  });
  section.append(growthChart(snapshots, [...lines.values()].map((line) => {
    if (line.ranks.length === 1) return { label: `#${line.ranks[0]} ${line.names[0]}`, counts: line.counts };
    const names = [...new Set(line.names)];
    const where = names.length === 1 ? names[0] : `${names.length} places`;
    return {
      label: `${line.ranks.length} clusters alike (${rankList(line.ranks)}), blocked in ${where}`,
      title: names.join('\n'),
      counts: line.counts,
      each: true,
    };
  })));
  return section;
}

function render(report) {
  const clusters = report.clusters ?? [];
  const summary = report.summary ?? {};
  document.title = `leakscan: ${summaryLine(summary)}`;
  const cards = clusters.map((cluster, index) => finding(cluster, index + 1, report.snapshots ?? []));
  // The top finding's evidence is open from the start: it is what the reader came for.
  if (cards.length > 0) cards[0].details.open = true;
  const articles = cards.map((card) => card.article);
  const notListed = num(summary.clusters_not_listed);
  const leaking = clusters.filter((cluster) => verdictOf(cluster) === 'leak' && !cluster.baseline_reason);
  document.body.replaceChildren(
    h('header', { class: 'top' },
      h('h1', {}, 'leakscan report'),
      h('p', { class: 'summary' }, summaryLine(summary)),
      h('p', { class: 'versions' }, `leakscan ${report.leakscan_version} · rules ${report.rules_version}`)),
    h('main', {},
      processEnd(report.process_end, clusters),
      deadButUnfreed(report.dead_but_unfreed),
      h('section', { class: 'inputs' }, h('h2', {}, plural((report.snapshots ?? []).length, 'snapshot') + ', oldest first'),
        snapshotList(report.snapshots ?? [])),
      overview(report),
      leaking.length > 0
        ? h('section', { class: 'flame' }, h('h2', {}, 'Where the leaking goroutines are (icicle, outermost frame on top)'), icicle(leaking))
        : null,
      h('section', { class: 'findings' },
        h('h2', {}, 'Findings, most likely leak first'),
        filters(articles),
        h('div', { class: 'finding-list' }, articles),
        notListed > 0
          ? h('p', { class: 'not-listed' }, `${plural(notListed, 'more cluster')} (${plural(num(summary.goroutines_not_listed), 'goroutine')}) not listed: --max-clusters`)
          : null)));
}

const data = document.getElementById('leakscan-report');
try {
  render(JSON.parse(data.textContent));
} catch (error) {
  document.body.replaceChildren(h('p', { class: 'error' }, `leakscan report: cannot show the report: ${error.message}`));
  throw error;
}
