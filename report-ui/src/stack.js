// A stack as a list, leaf first as Go prints it, with the frame where the goroutines block and
// the `go` statement that created them marked.
import { h } from './dom.js';
import { num, sameFrame } from './format.js';

function frameRow(frame, mark) {
  return h('li', { class: mark ? `frame ${mark}` : 'frame' },
    mark === 'blocking' ? h('span', { class: 'mark' }, 'blocks here') : null,
    mark === 'creation' ? h('span', { class: 'mark' }, 'created by') : null,
    h('code', {}, frame.function),
    frame.file ? h('span', { class: 'file' }, ` ${frame.file}:${num(frame.line)}`) : null);
}

export function stackList(stack, { blockedAt, createdBy } = {}) {
  const rows = (stack ?? []).map((frame) =>
    frameRow(frame, sameFrame(frame, blockedAt) ? 'blocking' : null));
  if (createdBy?.function) rows.push(frameRow(createdBy, 'creation'));
  return h('ol', { class: 'stack' }, rows);
}
