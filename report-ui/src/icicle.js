// An icicle of the goroutines judged leaking: the outermost frame on top, each frame as wide as
// the goroutines under it, so the code paths that leak most are the widest. Clicking a frame
// zooms into it; the trail above names the frames zoomed through and leads back out.
import { h, svg } from './dom.js';
import { num, plural } from './format.js';

const ROW = 20;
// A character of the 12px monospace labels, a little over its 7.2 pixels so none overflows.
const CHAR = 7.3;
const ROOT_NAME = 'all leaking goroutines';

function buildTree(clusters) {
  const root = { name: ROOT_NAME, value: 0, children: new Map(), parent: null };
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

function pathTo(node) {
  const path = [];
  for (let at = node; at; at = at.parent) path.unshift(at);
  return path;
}

export function icicle(clusters) {
  const root = buildTree(clusters);
  const holder = h('div', { class: 'icicle' });
  if (root.value === 0) {
    holder.append(h('p', { class: 'empty' }, 'No goroutine was judged leaking.'));
    return holder;
  }
  const trail = h('nav', { class: 'icicle-trail', 'aria-label': 'icicle zoom' });
  const picture = h('div', { class: 'icicle-picture' });
  holder.append(trail, picture);

  const drawTrail = (top) => {
    const path = pathTo(top);
    const crumbs = path.map((node, index) => {
      const last = index === path.length - 1;
      const crumb = last
        ? h('span', { class: 'crumb current', 'aria-current': 'true' }, node.name)
        : h('button', { type: 'button', class: 'crumb', title: `zoom out to ${node.name}`, onclick: () => draw(node) }, node.name);
      return index === 0 ? [crumb] : [h('span', { class: 'sep', 'aria-hidden': 'true' }, ' › '), crumb];
    });
    trail.replaceChildren(
      h('button', {
        type: 'button', class: 'zoom-reset', disabled: top === root,
        title: 'show all leaking goroutines again', onclick: () => draw(root),
      }, 'reset zoom'),
      h('span', { class: 'crumbs' }, crumbs.flat()),
      h('span', { class: 'zoom-count' }, ` · ${plural(top.value, 'goroutine')}`));
  };

  const draw = (top) => {
    drawTrail(top);
    // Drawn at the holder's own width in pixels, so labels are not stretched.
    const totalWidth = Math.max(picture.clientWidth, 300);
    const rows = depthOf(top) + 1;
    const image = svg('svg', {
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
      if (width > 40) cell.append(svg('text', { x: 4, y: ROW - 6 }, fit(node.name, Math.floor((width - 8) / CHAR))));
      // The top row leads one level out; any other frame zooms in.
      cell.addEventListener('click', () => draw(node === top && top.parent ? top.parent : node));
      image.append(cell);
      let offset = x;
      for (const child of [...node.children.values()].sort((a, b) => b.value - a.value)) {
        place(child, offset, depth + 1);
        offset += (totalWidth * child.value) / top.value;
      }
    };
    place(top, 0, 0);
    picture.replaceChildren(image);
  };
  requestAnimationFrame(() => draw(root));
  return holder;
}

// Cut from the left: a Go name's end says which function (`…orders.(*Service).watch`), its
// start only the module every frame shares. The tooltip keeps the whole name.
function fit(text, chars) {
  if (text.length <= chars) return text;
  return chars <= 1 ? '…' : `…${text.slice(text.length - (chars - 1))}`;
}

// Warm colours by name, as flame graphs do: the same function has the same colour everywhere.
function colour(name, depth) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) | 0;
  const hue = 10 + (Math.abs(hash) % 45);
  const light = 62 + (Math.abs(hash >> 8) % 14) - (depth === 0 ? 10 : 0);
  return `hsl(${hue} 80% ${light}%)`;
}
