// One cluster of the report as a card: the verdict and its reasons up front, the evidence
// (stack, growth, waits, ages) below, drawn when opened.
import { h } from './dom.js';
import { duration, num, plural, site, verdictOf } from './format.js';
import { growthChart } from './growth_chart.js';
import { ageChart, waitChart } from './distribution.js';
import { stackList } from './stack.js';

function anchorText(anchor) {
  return `${anchor.kind}: ${anchor.name}`;
}

function countsLine(cluster) {
  const parts = [];
  const counts = (cluster.count_per_snapshot ?? []).map(num);
  if (counts.length > 1) parts.push(`counts ${counts.join(' → ')}`);
  if (cluster.growth_per_minute) parts.push(`${cluster.growth_per_minute.toFixed(1)}/min`);
  const objects = num(cluster.wait_objects);
  if (objects > 1) parts.push(`on ${objects} objects`);
  const low = num(cluster.min_goroutine_id);
  const high = num(cluster.max_goroutine_id);
  if (high > 0) parts.push(low === high ? `id ${low}` : `ids ${low}–${high}`);
  if (cluster.wait) parts.push(`waiting ${duration(cluster.wait.min_seconds ?? 0)}–${duration(cluster.wait.max_seconds ?? 0)}`);
  parts.push(`cluster ${cluster.id}`);
  return parts.join(' · ');
}

function facts(cluster) {
  const rows = [];
  const add = (term, ...value) => rows.push(h('dt', {}, term), h('dd', {}, ...value));
  if (cluster.wait_object) add('wait object', h('code', {}, cluster.wait_object), ' (all wait on this one)');
  else if (num(cluster.wait_objects) > 1) add('wait objects', `${num(cluster.wait_objects)} distinct: one each`);
  const anchors = cluster.anchors ?? [];
  const owners = anchors.filter((anchor) => anchor.kind === 'owner');
  const others = anchors.filter((anchor) => anchor.kind !== 'owner' && anchor.kind !== 'created_by');
  if (others.length > 0) add('anchor', ...others.map((anchor) => h('span', { class: 'chip' }, anchorText(anchor))));
  if (owners.length > 0) add('owner', ...owners.map((owner) => h('span', { class: 'chip owner' }, owner.name)));
  if (cluster.threshold_seconds) add('wait threshold', duration(cluster.threshold_seconds));
  if (cluster.baseline_reason) add('accepted', cluster.baseline_reason);
  const oldest = cluster.oldest;
  if (oldest) {
    // What the agent and the tracer know: when and by whom the oldest goroutine was made.
    const parts = [`goroutine ${num(oldest.goroutine_id)}`];
    // A time the tracer dated by snapshots is a bound: made after it, so at most that old.
    const inferred = oldest.created_at_precision === 'inferred';
    if (oldest.created_at) parts.push(`created ${inferred ? 'after' : 'at'} ${oldest.created_at}`);
    if (inferred && num(oldest.before_snapshot) > 0) parts.push(`and before snapshot ${num(oldest.before_snapshot)}`);
    if (num(oldest.creator_id) > 0) parts.push(`by goroutine ${num(oldest.creator_id)}`);
    if (oldest.age_seconds) parts.push(`(age ${inferred ? 'at most ' : ''}${duration(oldest.age_seconds)})`);
    add('oldest', parts.join(' '));
  }
  return rows.length > 0 ? h('dl', { class: 'facts' }, rows) : null;
}

function evidence(cluster, snapshots) {
  const parts = [
    h('section', { class: 'evidence-stack' },
      h('h4', {}, 'Stack'),
      stackList(cluster.stack, { blockedAt: cluster.blocked_at, createdBy: cluster.created_by })),
  ];
  if ((cluster.creation_stack ?? []).length > 0) {
    parts.push(h('section', { class: 'evidence-creation' },
      h('h4', {}, num(cluster.creation_stack_goroutine_id) > 0
        ? `Creation stack of goroutine ${num(cluster.creation_stack_goroutine_id)} (the creating goroutine at the go statement)`
        : 'Creation stack (the creating goroutine at the go statement)'),
      stackList(cluster.creation_stack)));
  }
  const counts = cluster.count_per_snapshot ?? [];
  const charts = h('section', { class: 'evidence-charts' });
  if (counts.length > 1) {
    charts.append(h('h4', {}, 'Growth'),
      growthChart(snapshots, [{ label: 'goroutines', counts }], { width: 360, height: 160, legend: false }));
  }
  const wait = waitChart(cluster.wait);
  const age = ageChart(cluster.age_deciles);
  if (wait) charts.append(wait);
  if (age) charts.append(age);
  if (charts.childElementCount > 0) parts.push(charts);
  return parts;
}

export function finding(cluster, rank, snapshots) {
  const verdict = verdictOf(cluster);
  const count = num(cluster.count);
  const details = h('details', { class: 'evidence' },
    h('summary', {}, 'Stack, growth, waits and ages'));
  let drawn = false;
  details.addEventListener('toggle', () => {
    if (!details.open || drawn) return;
    drawn = true;
    details.append(h('div', { class: 'evidence-body' }, evidence(cluster, snapshots)));
  });
  const article = h('article', {
    class: `finding ${verdict}`, id: `cluster-${cluster.id}`,
    'data-verdict': verdict, 'data-state': cluster.state ?? '',
    'data-cluster': cluster.id,
  },
  h('header', {},
    h('span', { class: 'rank' }, `#${rank}`),
    h('span', { class: `badge ${verdict}` }, cluster.baseline_reason ? `${verdict}, accepted` : verdict),
    h('span', { class: 'headline' },
      h('strong', { class: 'count' }, plural(count, 'goroutine')),
      ` (${((cluster.share ?? 0) * 100).toFixed(1)}%) blocked on `,
      h('code', { class: 'operation' }, cluster.blocking_operation || cluster.state))),
  cluster.blocked_at?.function ? h('p', { class: 'where' }, 'in ', h('code', {}, site(cluster.blocked_at))) : null,
  cluster.created_by?.function ? h('p', { class: 'creator' }, 'created by ', h('code', {}, site(cluster.created_by))) : null,
  h('p', { class: 'counts' }, countsLine(cluster)),
  h('ul', { class: 'reasons' }, (cluster.reasons ?? []).map((reason) => h('li', {}, reason))),
  facts(cluster),
  details);
  article.anchors = (cluster.anchors ?? []).map(anchorText);
  return { article, details };
}
