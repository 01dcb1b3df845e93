// How the process ended (a panic, a crash, a deadlock, a hang), shown before any cluster: when
// a dump has it, it is what matters first.
import { h } from './dom.js';
import { num, plural, site, verdictOf } from './format.js';
import { stackList } from './stack.js';

const TITLES = {
  panic: 'The process panicked',
  test_timeout: 'A test timed out',
  deadlock: 'The process deadlocked',
  stack_overflow: 'A stack overflowed',
  fatal_error: 'The process hit a fatal error',
  signal: 'The process died of a signal',
  quit: 'The process was hung (SIGQUIT)',
};

// The verdict of the cluster that holds a waiting group's goroutines, as its card shows it, and
// a link to that card; nothing where no listed cluster holds them (the runtime's own, or past
// --max-clusters).
function verdictLink(group, clusters) {
  const cluster = group.cluster_id ? clusters.find((one) => one.id === group.cluster_id) : undefined;
  if (!cluster) return null;
  const verdict = verdictOf(cluster);
  return h('a', { class: 'cluster-link', href: `#cluster-${cluster.id}`, title: `cluster ${cluster.id}` },
    h('span', { class: `badge ${verdict}` }, cluster.baseline_reason ? `${verdict}, accepted` : verdict));
}

export function processEnd(end, clusters = []) {
  if (!end?.kind) return null;
  const id = num(end.goroutine_id);
  const section = h('section', { class: `process-end ${end.kind}`, id: 'process-end' },
    h('h2', {}, TITLES[end.kind] ?? `The process ended: ${end.kind}`),
    end.reason ? h('pre', { class: 'reason' }, end.reason) : null,
    end.explanation ? h('p', { class: 'explanation' }, end.explanation) : null);
  if (id > 0 || (end.stack ?? []).length > 0) {
    section.append(h('h3', {}, id > 0 ? `goroutine ${id}` : 'the goroutine', end.state ? ` [${end.state}]` : ''),
      end.blocked_at?.function ? h('p', { class: 'where' }, 'at ', h('code', {}, site(end.blocked_at))) : null,
      stackList(end.stack, { blockedAt: end.blocked_at }));
  }
  const waiting = end.waiting ?? [];
  if (waiting.length > 0) {
    section.append(h('h3', {}, 'Waiting, and nothing will wake them'),
      h('ul', { class: 'waiting' }, waiting.map((group) => {
        const ids = (group.goroutine_ids ?? []).map(num);
        return h('li', { 'data-cluster': group.cluster_id || null },
          verdictLink(group, clusters), ' ',
          h('strong', {}, plural(ids.length, 'goroutine')), ' on ', h('code', {}, group.operation),
          group.object ? [' ', h('code', {}, group.object)] : null,
          group.blocked_at?.function ? [' in ', h('code', {}, site(group.blocked_at))] : null,
          h('span', { class: 'ids' }, ` (${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''})`));
      })));
  }
  return section;
}
