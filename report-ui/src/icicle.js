// An icicle of the goroutines judged leaking: the outermost frame on top, each frame as wide as
// the goroutines under it, so the code paths that leak most are the widest. Clicking a frame
// zooms into it; clicking the top row zooms back out.
import { h, svg } from './dom.js';
import { num, plural } from './format.js';

const ROW = 20;

function buildTree(clusters) {
  const root = { name: 'all leaking goroutines', value: 0, children: new Map(), parent: null };
  for (const cluster of clusters) {
    const count = num(cluster.count);
    if (count === 0) continue;
    root.value += count;
    let node = root;
    // Stacks are leaf first; the icicle reads from the root down.
    for (const frame of [...(cluster.stack ?? [])].reverse()) {
      const key = frame.function;
      let child = node.children.get(key);
      if (!child) {
        child = { name: key, value: 0, children: new Map(), parent: node };
        node.children.set(key, child);
      }
      child.value += count;
      node = child;
    }
  }
  return root;
}

function depthOf(node) {
  let depth = 0;
  for (const child of node.children.values()) depth = Math.max(depth, 1 + depthOf(child));
  return depth;
}

export function icicle(clusters) {
  const root = buildTree(clusters);
  const holder = h('div', { class: 'icicle' });
  if (root.value === 0) {
    holder.append(h('p', { class: 'empty' }, 'No goroutine was judged leaking.'));
    return holder;
  }
  const draw = (top) => {
    // Drawn at the holder's own width in pixels, so labels are not stretched.
    const totalWidth = Math.max(holder.clientWidth, 300);
    const rows = depthOf(top) + 1;
    const picture = svg('svg', {
      width: totalWidth, height: rows * ROW, role: 'img',
      'aria-label': `icicle of ${plural(top.value, 'goroutine')} judged leaking`,
    });
    const place = (node, x, depth) => {
      const width = (totalWidth * node.value) / top.value;
      // Under a pixel nothing shows: a dump of thousands of thin stacks draws what can be seen.
      if (width < 1) return;
      const cell = svg('g', { class: 'cell', transform: `translate(${x},${depth * ROW})` },
        svg('rect', { width: Math.max(width - 0.5, 0.5), height: ROW - 1, fill: colour(node.name, depth) }),
        svg('title', {}, `${node.name}\n${plural(node.value, 'goroutine')}`));
      // About 7 pixels a character; a label that does not fit is cut short.
      if (width > 40) cell.append(svg('text', { x: 4, y: ROW - 6 }, fit(node.name, Math.floor((width - 8) / 7))));
      cell.addEventListener('click', () => draw(node === top && top.parent ? top.parent : node));
      picture.append(cell);
      let offset = x;
      for (const child of [...node.children.values()].sort((a, b) => b.value - a.value)) {
        place(child, offset, depth + 1);
        offset += (totalWidth * child.value) / top.value;
      }
    };
    place(top, 0, 0);
    holder.replaceChildren(picture);
  };
  requestAnimationFrame(() => draw(root));
  return holder;
}

function fit(text, chars) {
  return text.length <= chars ? text : `${text.slice(0, Math.max(chars - 1, 1))}…`;
}

// Warm colours by name, as flame graphs do: the same function has the same colour everywhere.
function colour(name, depth) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  const hue = 10 + (Math.abs(hash) % 45);
  const light = 62 + (Math.abs(hash >> 8) % 14) - (depth === 0 ? 10 : 0);
  return `hsl(${hue} 80% ${light}%)`;
}
