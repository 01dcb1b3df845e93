// The HTML report in a real browser: headless Chromium (Debian's) opens reports that
// `leakscan --format html` wrote from real dumps, and checks them against `--format json` of the
// same run. Chromium stays off the network: its background services are off and every request
// other than the report's own file is refused (and fails the test).
//
// node html_report_test.mjs LEAKSCAN_BINARY SOURCE_ROOT OUTPUT_DIR
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [leakscan, root, outputDir] = process.argv.slice(2);
if (!leakscan || !root || !outputDir) {
  console.error('usage: node html_report_test.mjs LEAKSCAN_BINARY SOURCE_ROOT OUTPUT_DIR');
  process.exit(2);
}
const { chromium } = createRequire(path.join(root, 'report-ui', 'package.json'))('playwright-core');
mkdirSync(outputDir, { recursive: true });

const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
}

// The JSON report and the HTML page of one run of leakscan over `inputs`.
function analyse(name, inputs) {
  const page = path.join(outputDir, `${name}.html`);
  const run = (args) => execFileSync(leakscan, [...inputs, ...args], { encoding: 'utf8', timeout: 60_000 });
  const json = JSON.parse(run(['--format', 'json']));
  run(['--format', 'html', '-o', page]);
  return { json, url: pathToFileURL(page).href, screenshot: path.join(outputDir, `${name}.png`) };
}

const num = (value) => Number(value ?? 0);

async function openReport(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForSelector('.finding, #process-end, section.dead', { timeout: 30_000 });
  return { page, errors };
}

// A capture time as the page writes it, from the JSON report's nanoseconds.
function isoOf(nanos) {
  return new Date(num(nanos) / 1e6).toISOString().replace('.000Z', 'Z');
}

// Each row of the snapshots table says where its time came from: a file's modification time
// is marked as such, not passed off as the capture's.
async function checkCaptureTimes(page, snapshots) {
  const cells = page.locator('table.snapshots tbody td.captured');
  const cellCount = await cells.count();
  check(cellCount === snapshots.length, `a capture time cell per snapshot (${snapshots.length}: ${cellCount})`);
  if (cellCount !== snapshots.length) return;
  for (const [index, snapshot] of snapshots.entries()) {
    const cell = cells.nth(index);
    const text = await cell.innerText();
    const origin = snapshot.capture_time_origin;
    const iso = isoOf(snapshot.captured_at_unix_nanos);
    if (origin === 'file modification time') {
      check(text.includes(`file modified ${iso}`) && text.includes('not the capture') &&
        (await cell.getAttribute('class')).includes('caveat'),
      `snapshot ${index + 1}: its file's modification time is marked as such, a caveat ("${text}")`);
    } else if (origin === 'profile') {
      check(text === `${iso} (in the profile)`, `snapshot ${index + 1}: the profile's own time ("${text}")`);
    } else if (origin === 'time fetched') {
      check(text === `${iso} (fetched)`, `snapshot ${index + 1}: the time it was fetched ("${text}")`);
    } else {
      check(text.includes('no time known'), `snapshot ${index + 1}: no time is known ("${text}")`);
    }
  }
}

async function visibleFindings(page) {
  return page.locator('.finding:visible').count();
}

// Decoded by the browser's own PNG decoder: the share of the most common colour, and how many
// colours there are (a blank or failed page is one or two).
async function pictureStats(context, png) {
  const page = await context.newPage();
  const stats = await page.evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context2d = canvas.getContext('2d');
    context2d.drawImage(image, 0, 0);
    const pixels = context2d.getImageData(0, 0, canvas.width, canvas.height).data;
    const counts = new Map();
    for (let i = 0; i < pixels.length; i += 4) {
      const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return { width: canvas.width, height: canvas.height, colours: counts.size,
      commonest: Math.max(...counts.values()) / (pixels.length / 4) };
  }, png.toString('base64'));
  await page.close();
  return stats;
}

async function checkLeakyService(context) {
  const profiles = [1, 2, 3].map((i) => path.join(root, 'samples', 'profiles', `leakyservice-${i}.txt`));
  const { json, url, screenshot } = analyse('leakyservice', profiles);
  const { page, errors } = await openReport(context, url);
  const clusters = json.clusters;
  const top = clusters[0];

  check(await page.locator('.finding').count() === clusters.length,
    `one card per cluster of the JSON report (${clusters.length})`);
  const first = page.locator('.finding').first();
  const firstText = await first.innerText();
  check(await first.getAttribute('data-cluster') === top.id, `the first card is cluster ${top.id}`);
  check(await first.locator('.badge').innerText() === 'LEAK' && top.verdict === 'LEAK', 'the top finding is a leak');
  check(firstText.includes(`${num(top.count)} goroutines`), `the top finding counts ${num(top.count)} goroutines`);
  check(firstText.includes(`counts ${top.count_per_snapshot.map(num).join(' → ')}`),
    `the top finding's counts per snapshot are ${top.count_per_snapshot.map(num).join(', ')}`);
  check(firstText.includes(top.blocking_operation), `it blocks on ${top.blocking_operation}`);
  check(firstText.includes(top.blocked_at.function), `it is blocked in ${top.blocked_at.function}`);
  check(top.reasons.every((reason) => firstText.includes(reason)), 'every reason of the JSON report is shown');
  const summary = await page.locator('header.top .summary').innerText();
  check(summary.startsWith(`${num(json.summary.leaks)} leaks, ${num(json.summary.suspects)} suspects`),
    `the summary says ${num(json.summary.leaks)} leaks (${summary})`);

  // The top finding's evidence is open: its stack marks the blocking frame and the creator.
  const blocking = first.locator('ol.stack .frame.blocking code');
  check(await blocking.count() === 1 && await blocking.innerText() === top.blocked_at.function,
    'the stack marks the blocking frame');
  check(await first.locator('ol.stack .frame.creation code').innerText() === top.created_by.function,
    'the stack ends with the creation site, marked');

  // The charts drew: uPlot's canvases hold drawn pixels, the icicle has a cell per frame.
  await page.waitForSelector('.overview canvas', { timeout: 10_000 });
  const inked = await page.evaluate(() => [...document.querySelectorAll('.growth-chart canvas')].map((canvas) => {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) drawn++;
    return drawn;
  }));
  check(inked.length >= 2 && inked.every((drawn) => drawn > 500),
    `the overview and the top finding's growth charts drew (${inked.join(', ')} pixels)`);
  // Leaks that grew alike share one line, whose label counts them (eight lines on top of one
  // another would look like one).
  const growing = clusters.filter((cluster) => cluster.verdict !== 'EXPECTED');
  const shapes = new Map();
  for (const cluster of growing) {
    const key = cluster.count_per_snapshot.map(num).join(',');
    shapes.set(key, (shapes.get(key) ?? 0) + 1);
  }
  const legend = page.locator('.overview .legend-entry');
  const entries = await legend.allInnerTexts();
  check(entries.length === shapes.size, `the overview's legend has an entry per line drawn (${shapes.size}: ${entries.length})`);
  const alike = Math.max(...shapes.values());
  if (alike > 1) {
    check(entries.some((label) => label.includes(`${alike} clusters alike`)),
      `the line ${alike} clusters share says so (${entries.join(' | ')})`);
  }
  check(entries.every((label) => !label.includes('--')), 'no legend entry reads "--"');
  const countsShown = (await legend.locator('.legend-counts').allInnerTexts()).map((text) => text.replace(/ each$/, ''));
  check(countsShown.length === shapes.size &&
    [...shapes.keys()].every((key) => countsShown.includes(key.split(',').join(' → '))),
  `each line's legend gives its counts per snapshot (${countsShown.join(' | ')})`);
  // The swatch is the line: uPlot's own stroke and dash for the series, and that colour is on
  // the canvas.
  const swatches = await page.evaluate(() => {
    const holder = document.querySelector('.overview .growth-chart');
    const chart = holder.uplot;
    const canvas = holder.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const inked = new Set();
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 255) inked.add(`${pixels[i]},${pixels[i + 1]},${pixels[i + 2]}`);
    }
    const rgb = (colour) => [1, 3, 5].map((at) => parseInt(colour.slice(at, at + 2), 16)).join(',');
    return [...holder.querySelectorAll('.legend-entry')].map((entry) => {
      const series = chart.series[Number(entry.dataset.series)];
      const line = entry.querySelector('.swatch line');
      const stroke = typeof series.stroke === 'function' ? series.stroke(chart, Number(entry.dataset.series)) : series.stroke;
      const dash = (series.dash ?? []).join(' ') || 'none';
      return {
        swatch: line.getAttribute('stroke'), stroke,
        swatchDash: line.getAttribute('stroke-dasharray'), dash,
        drawn: inked.has(rgb(line.getAttribute('stroke'))),
      };
    });
  });
  check(swatches.length > 0 && swatches.every((one) => one.swatch === one.stroke && one.swatchDash === one.dash),
    `each legend swatch has its line's colour and dash (${swatches.map((one) => `${one.swatch}/${one.stroke}`).join(', ')})`);
  check(swatches.every((one) => one.drawn), 'each swatch colour is drawn on the chart');
  const leaking = clusters.filter((cluster) => cluster.verdict === 'LEAK');
  const cells = await page.locator('.icicle svg g.cell').count();
  check(cells > leaking.length, `the icicle has a cell per frame of the leaking stacks (${cells})`);
  await checkIcicle(page);
  await checkCaptureTimes(page, json.snapshots);

  // Filters: leaving out leaks leaves the other clusters; a state keeps its clusters only.
  await page.locator('input[name=verdict][value=leak]').uncheck();
  const withoutLeaks = clusters.length - leaking.length;
  check(await visibleFindings(page) === withoutLeaks, `without leaks, ${withoutLeaks} clusters are listed`);
  check(!(await first.isVisible()), 'the top finding is hidden');
  await page.locator('input[name=verdict][value=leak]').check();
  const state = top.state;
  await page.locator('select[name=state]').selectOption(state);
  const inState = clusters.filter((cluster) => cluster.state === state).length;
  check(await visibleFindings(page) === inState && inState < clusters.length,
    `state "${state}" keeps ${inState} of ${clusters.length} clusters`);
  await page.locator('select[name=state]').selectOption('');
  check(await visibleFindings(page) === clusters.length, 'no filter lists every cluster again');

  const png = await page.screenshot({ path: screenshot, fullPage: true });
  const picture = await pictureStats(context, png);
  check(picture.width > 600 && picture.height > 600 && picture.colours > 200 && picture.commonest < 0.9,
    `the screenshot is not blank (${picture.width}x${picture.height}, ${picture.colours} colours, ` +
    `${(picture.commonest * 100).toFixed(0)}% the commonest)`);
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await page.close();
}

// The icicle's cells: full name in the tooltip, labels cut from the left (the function's end
// shows); a click zooms into a frame and the trail above leads back out.
async function checkIcicle(page) {
  const cellInfo = () => page.evaluate(() => [...document.querySelectorAll('.icicle svg g.cell')].map((cell) => ({
    name: cell.querySelector('title').textContent.split('\n')[0],
    label: cell.querySelector('text')?.textContent ?? null,
    width: Number(cell.querySelector('rect').getAttribute('width')),
    row: Number(/translate\([^,]+,([^)]+)\)/.exec(cell.getAttribute('transform'))[1]),
  })));
  const fullWidth = () => page.evaluate(() => Number(document.querySelector('.icicle svg').getAttribute('width')));
  const before = await cellInfo();
  const cut = before.filter((cell) => cell.label !== null && cell.label !== cell.name);
  check(cut.length > 0, `some icicle labels do not fit and are cut (${cut.length})`);
  check(cut.every((cell) => cell.label.startsWith('…') && cell.label.length > 1 && cell.name.endsWith(cell.label.slice(1))),
    `a cut label keeps the function's end (${cut.slice(0, 3).map((cell) => `${cell.label} of ${cell.name}`).join('; ')})`);
  const shown = before.filter((cell) => cell.label !== null && cell.label === cell.name);
  check(shown.every((cell) => !cell.label.includes('…')), 'a label that fits is whole');

  const trail = page.locator('.icicle-trail');
  const reset = trail.locator('button.zoom-reset');
  check(await trail.isVisible() && await reset.isDisabled(), 'the trail shows, with reset off before any zoom');
  // A frame below the top row, narrower than the picture: clicked, it fills the width.
  const width = await fullWidth();
  const target = before.findIndex((cell) => cell.row > 0 && cell.width < width - 5 && cell.label !== null);
  check(target >= 0, 'a narrower frame below the top to zoom into');
  if (target < 0) return;
  await page.locator('.icicle svg g.cell').nth(target).locator('rect').click();
  const zoomed = await cellInfo();
  check(zoomed[0].name === before[target].name && zoomed[0].width >= (await fullWidth()) - 1,
    `a click zooms into ${before[target].name}: it fills the width (${zoomed[0].width} of ${await fullWidth()})`);
  const crumbs = await trail.locator('.crumb').allInnerTexts();
  check(crumbs[0] === 'all leaking goroutines' && crumbs[crumbs.length - 1] === before[target].name,
    `the trail leads from all leaking goroutines to it (${crumbs.join(' › ')})`);
  const canReset = await reset.isVisible() && await reset.isEnabled();
  check(canReset, 'the reset button shows and can be pressed');
  if (!canReset) return;
  await reset.click();
  const back = await cellInfo();
  check(back[0].name === before[0].name && back.length === before.length && await reset.isDisabled(),
    `reset shows the whole icicle again (${back.length} cells, top ${back[0].name})`);
}

// The wait chart of the cluster with the widest spread of waits: one bar per bucket of the JSON
// report with its count, not one "≥ 0s" bar, starting near the shortest wait; the caption says
// why waits are lower bounds where they are (`why` a phrase it must hold), and nothing where
// they were measured.
async function checkWaitChart(context, name, inputs, why, fewestBars = 2) {
  const { json, url } = analyse(name, inputs);
  const { page, errors } = await openReport(context, url);
  const waiting = json.clusters.filter((cluster) => cluster.wait);
  check(waiting.length > 0, `${name}: the JSON report has waits (${waiting.length} clusters)`);
  const widest = waiting.reduce((a, b) => (b.wait.histogram.length > a.wait.histogram.length ? b : a));
  const card = page.locator(`#cluster-${widest.id}`);
  if (!(await card.locator('details.evidence').evaluate((details) => details.open))) {
    await card.locator('details.evidence summary').click();
  }
  const figure = card.locator('figure.bars').first();
  await figure.waitFor({ timeout: 10_000 });
  check((await figure.locator('figcaption').innerText()).toLowerCase() === 'wait', `${name}: the first chart is the wait chart`);
  const labels = await figure.locator('.bar-label').allInnerTexts();
  const counts = (await figure.locator('.bar-count').allInnerTexts()).map((text) => Number(text.replaceAll(',', '')));
  const histogram = widest.wait.histogram;
  check(labels.length === histogram.length && labels.length >= fewestBars,
    `${name}, cluster ${widest.id}: a bar per bucket of the JSON report, at least ${fewestBars} (${labels.join(', ')})`);
  check(counts.join() === histogram.map((bucket) => num(bucket.count)).join(), `${name}: the bars count ${counts.join(', ')}`);
  check(new Set(labels).size === labels.length && !labels.includes('≥ 0s') && !labels[0].startsWith('0s'),
    `${name}: the buckets start near the shortest wait, not at 0s`);
  check(histogram[0].at_least_seconds <= widest.wait.min_seconds && widest.wait.min_seconds < histogram[0].below_seconds,
    `${name}: the first bucket holds the shortest wait (${widest.wait.min_seconds}s)`);
  const caption = await figure.locator('.caption').count() > 0 ? await figure.locator('.caption').innerText() : '';
  if (why) {
    check(widest.wait.lower_bound && (widest.wait.lower_bound_why ?? '').includes(why) &&
      caption.includes(widest.wait.lower_bound_why), `${name}: the caption says why the waits are lower bounds ("${caption}")`);
  } else {
    check(!widest.wait.lower_bound && !caption.includes('minutes'), `${name}: measured waits need no caption ("${caption}")`);
  }
  check(errors.length === 0, `${name}: no script errors (${errors.join('; ')})`);
  await page.close();
  return labels;
}

async function checkWaits(context) {
  const dump = path.join(root, 'tests', 'data', 'corpus', 'tidb-v4-prod-indexmergejoin-hang-debug2-go1.13.txt');
  await checkWaitChart(context, 'waits', [dump], 'whole minutes');
}

// The C++ agent measures each wait from its fiber's park: sub-second to seconds, where buckets
// of minutes drew one "≥ 0s" bar. plain_fibers (samples/cpp, built beside the CLI) is started,
// its profile fetched once, and the page drawn from that file.
async function checkMeasuredWaits(context) {
  const build = path.dirname(path.dirname(leakscan));
  const service = spawn(path.join(build, 'samples', 'cpp', 'plain_fibers'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const address = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('plain_fibers said no AGENT line in 30 s')), 30_000);
      let seen = '';
      service.stdout.on('data', (chunk) => {
        seen += chunk;
        const found = /AGENT (\S+)/.exec(seen);
        if (found) { clearTimeout(timer); resolve(found[1]); }
      });
      service.on('exit', () => { clearTimeout(timer); reject(new Error('plain_fibers ended')); });
    });
    // Waits a second and more apart from the fibers parked at start-up.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const profile = path.join(outputDir, 'agent.pb.gz');
    execFileSync(leakscan, ['convert', `http://${address}/debug/pprof/goroutine`, '-o', profile], { timeout: 60_000 });
    // Its fibers all parked at start-up: their waits fall in one bucket, which must fit them.
    const labels = await checkWaitChart(context, 'agent-waits', [profile, '--min-wait', '1ms'], null, 1);
    check(labels.every((label) => /^[0-9.]+(ms|s)(–[0-9.]+(ms|s))?$/.test(label)),
      `agent-waits: sub-minute buckets in seconds and milliseconds (${labels.join(', ')})`);
  } finally {
    service.kill('SIGKILL');
  }
}

// What a spike leaves behind: samples/go/spike (built by Go 1.26 beside the CLI) makes 2,000
// goroutines that all end; `leakscan trace` reads their dead g's once. The page's "Ended, not
// freed" section says what the JSON report does, with the free lists they wait on.
async function checkDeadGoroutines(context) {
  const build = path.dirname(path.dirname(leakscan));
  const spike = spawn(path.join(build, 'tests', 'go-bin', 'go1.26', 'spike'), ['-n', '2000'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('spike said no SPIKE line in 30 s')), 30_000);
      let seen = '';
      spike.stdout.on('data', (chunk) => {
        seen += chunk;
        if (seen.includes('\n')) { clearTimeout(timer); resolve(); }
      });
      spike.on('exit', () => { clearTimeout(timer); reject(new Error('spike ended')); });
    });
    const out = path.join(outputDir, 'spike-trace');
    execFileSync(leakscan, ['trace', '--pid', String(spike.pid), '--every', '1s', '--duration', '1s',
      '--out', out], { timeout: 120_000, stdio: 'ignore' });
    const { json, url } = analyse('spike', [path.join(out, 'goroutines-0001.pb.gz')]);
    const dead = (json.dead_but_unfreed ?? []).find((one) => one.created_by?.function === 'main.spike');
    check(dead !== undefined && num(dead.count) >= 1900, 'the JSON report holds the spike\'s dead g\'s');
    check(dead?.free_lists_read === true, 'the JSON report says which free lists they wait on');
    const { page, errors } = await openReport(context, url);
    const section = await page.locator('section.dead').innerText();
    check(section.includes(`${num(dead?.count).toLocaleString('en-US')} green threads exited not released`),
      `the page counts them as the JSON report does (${section.slice(0, 200)})`);
    check(section.includes(`free lists: ${num(dead?.on_global_free_list).toLocaleString('en-US')} on the global one (the next GC frees their ${(num(dead?.global_stack_bytes) / 1e6).toFixed(1)} MB of stacks), ${num(dead?.on_processor_free_lists).toLocaleString('en-US')} on P's own`),
      'the page names the free lists and what the next GC frees');
    check((await page.locator('.finding.leak').count()) === 0, 'none of them is a leak');
    check(errors.length === 0, `no script errors (${errors.join('; ')})`);
    await page.close();
  } finally {
    spike.kill('SIGKILL');
  }
}

// A Go profile (debug=0) carries the time it was taken: shown as the profile's.
async function checkProfileTime(context) {
  const profile = path.join(root, 'tests', 'data', 'corpus', 'cortex-debug0-2020.pb.gz');
  const { json, url } = analyse('profile-time', [profile]);
  const { page, errors } = await openReport(context, url);
  check(json.snapshots[0].capture_time_origin === 'profile', 'the JSON report dates the profile by its own time');
  await checkCaptureTimes(page, json.snapshots);
  check((await page.locator('table.snapshots tbody tr td:nth-child(5)').first().innerText()).startsWith('2020-'),
    'the 2020 profile reads as 2020');
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await page.close();
}

// A dump of a deadlocked process: the ending comes before any cluster.
async function checkDeadlock(context) {
  const dump = path.join(root, 'tests', 'data', 'corpus', 'gotfmt-deadlock-nilchan-go1.2.txt');
  const { json, url, screenshot } = analyse('deadlock', [dump]);
  const { page, errors } = await openReport(context, url);
  check(json.process_end.kind === 'deadlock', 'the JSON report names a deadlock');
  const section = page.locator('#process-end');
  check(await section.isVisible(), 'the deadlock section is shown');
  check((await section.innerText()).includes(json.process_end.reason), `it quotes "${json.process_end.reason}"`);
  const first = await page.evaluate(() => {
    const end = document.getElementById('process-end');
    const list = document.querySelector('.findings');
    return !!end && (!list || !!(end.compareDocumentPosition(list) & Node.DOCUMENT_POSITION_FOLLOWING));
  });
  check(first, 'it comes before the findings');
  // Each group nothing will wake is badged with the verdict of the cluster holding its
  // goroutines, and leads to its card.
  const groups = json.process_end.waiting ?? [];
  const items = section.locator('ul.waiting > li');
  check(groups.length > 0 && await items.count() === groups.length, `a line per waiting group (${groups.length})`);
  for (const [index, group] of groups.entries()) {
    const ids = group.goroutine_ids.map(num);
    const cluster = json.clusters.find((one) => one.id === group.cluster_id);
    const holds = !!cluster && ids.every((id) => num(cluster.min_goroutine_id) <= id && id <= num(cluster.max_goroutine_id)) &&
      cluster.blocked_at.function === group.blocked_at.function;
    check(holds, `group ${index + 1}: the JSON report names the cluster holding goroutines ${ids.join(', ')} (${group.cluster_id})`);
    if (!cluster) continue;
    const item = items.nth(index);
    const badges = item.locator('a.cluster-link .badge');
    const badge = await badges.count() === 1 ? await badges.innerText() : '(none)';
    check(badge === cluster.verdict, `group ${index + 1} is badged ${badge}, its cluster's verdict (${cluster.verdict})`);
    if (badge === '(none)') continue;
    const href = await item.locator('a.cluster-link').getAttribute('href');
    check(href === `#cluster-${cluster.id}` && await page.locator(`article.finding${href}`).count() === 1,
      `group ${index + 1} links to the card of cluster ${cluster.id} (${href})`);
  }
  await checkCaptureTimes(page, json.snapshots);
  check(json.snapshots[0].capture_time_origin === 'file modification time',
    'the deadlock dump holds no time: its file\'s modification time stands in');
  await page.screenshot({ path: screenshot, fullPage: true });
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await page.close();
}

// A dump whose function names are markup: they show as text, and no script of theirs runs.
async function checkHostileNames(context) {
  const dump = path.join(outputDir, 'hostile.txt');
  writeFileSync(dump, [
    'goroutine 1 [running]:',
    'main.main()',
    '\t/src/main.go:10 +0x1',
    '',
    'goroutine 7 [chan receive, 12 minutes]:',
    'main.</script><script>window.pwned=1</script>(...)',
    '\t/src/<img src=x onerror="window.pwned=2">.go:20 +0x1',
    'created by main.main in goroutine 1',
    '\t/src/main.go:12 +0x1',
    '',
  ].join('\n'));
  const { url } = analyse('hostile', [dump]);
  const { page, errors } = await openReport(context, url);
  check(await page.evaluate(() => window.pwned === undefined), 'no script from a function name ran');
  check((await page.locator('body').innerText()).includes('</script><script>window.pwned=1</script>'),
    'the hostile name shows as text');
  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
  await page.close();
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  timeout: 60_000,
  args: ['--no-sandbox', '--disable-background-networking', '--no-first-run', '--disable-sync',
    '--disable-component-update', '--disable-default-apps', '--disable-extensions',
    '--disable-domain-reliability', '--no-pings', '--disable-breakpad',
    '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const refused = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url === 'about:blank') return route.continue();
    refused.push(url);
    return route.abort();
  });
  await checkLeakyService(context);
  await checkDeadlock(context);
  await checkWaits(context);
  await checkMeasuredWaits(context);
  await checkDeadGoroutines(context);
  await checkProfileTime(context);
  await checkHostileNames(context);
  check(refused.length === 0, `the reports asked for nothing outside their file (${refused.join(', ')})`);
} finally {
  await browser.close();
}
if (failures.length > 0) {
  console.error(`${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('all checks passed');
