// The HTML report in a real browser: headless Chromium (Debian's) opens reports that
// `leakscan --format html` wrote from real dumps, and checks them against `--format json` of the
// same run. Chromium stays off the network: its background services are off and every request
// other than the report's own file is refused (and fails the test).
//
// node html_report_test.mjs LEAKSCAN_BINARY SOURCE_ROOT OUTPUT_DIR
import { execFileSync } from 'node:child_process';
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
  await page.waitForSelector('.finding, #process-end', { timeout: 30_000 });
  return { page, errors };
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
  const legend = await page.locator('.overview .u-legend .u-series').allInnerTexts();
  check(legend.length === shapes.size + 1, `the overview draws ${shapes.size} distinct lines (${legend.length - 1})`);
  const alike = Math.max(...shapes.values());
  if (alike > 1) {
    check(legend.some((label) => label.includes(`${alike} clusters alike`)),
      `the line ${alike} clusters share says so`);
  }
  const leaking = clusters.filter((cluster) => cluster.verdict === 'LEAK');
  const cells = await page.locator('.icicle svg g.cell').count();
  check(cells > leaking.length, `the icicle has a cell per frame of the leaking stacks (${cells})`);

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
