// Filters over the findings: by verdict, anchor and state. Each card stays in the page and is
// only hidden, so opened evidence survives a change of filter.
import { h } from './dom.js';
import { plural } from './format.js';

const VERDICTS = ['leak', 'suspect', 'expected'];

export function filters(cards, onChange) {
  const state = { verdicts: new Set(VERDICTS), anchor: '', threadState: '' };
  const byVerdict = (verdict) => cards.filter((card) => card.dataset.verdict === verdict).length;
  const status = h('span', { class: 'showing', 'aria-live': 'polite' });
  const apply = () => {
    let shown = 0;
    for (const card of cards) {
      const visible = state.verdicts.has(card.dataset.verdict) &&
        (state.anchor === '' || card.anchors.includes(state.anchor)) &&
        (state.threadState === '' || card.dataset.state === state.threadState);
      card.hidden = !visible;
      if (visible) shown++;
    }
    status.textContent = `showing ${shown} of ${plural(cards.length, 'cluster')}`;
    onChange?.(shown);
  };
  const verdictBoxes = VERDICTS.map((verdict) => h('label', { class: `filter-verdict ${verdict}` },
    h('input', {
      type: 'checkbox', checked: true, name: 'verdict', value: verdict,
      onchange: (event) => {
        if (event.target.checked) state.verdicts.add(verdict);
        else state.verdicts.delete(verdict);
        apply();
      },
    }),
    ` ${verdict} (${byVerdict(verdict)})`));
  const choice = (name, values, set) => h('select', { name, onchange: (event) => { set(event.target.value); apply(); } },
    h('option', { value: '' }, `any ${name}`),
    values.map((value) => h('option', { value }, value)));
  const distinct = (values) => [...new Set(values)].filter(Boolean).sort();
  const bar = h('form', { class: 'filters', onsubmit: (event) => event.preventDefault() },
    h('fieldset', {}, h('legend', {}, 'verdict'), verdictBoxes),
    h('label', {}, 'anchor ', choice('anchor', distinct(cards.flatMap((card) => card.anchors)), (value) => { state.anchor = value; })),
    h('label', {}, 'state ', choice('state', distinct(cards.map((card) => card.dataset.state)), (value) => { state.threadState = value; })),
    status);
  apply();
  return bar;
}
