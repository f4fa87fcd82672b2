// Open every page of a built Hexo site in headless Chromium and fail when a body image is not rendered as
// an image or a script of a post runs. usage (in the site folder): node check.mjs [SCREENSHOT_POST_PATH]
// Serves public/ on 127.0.0.1 itself; every request to another host is answered locally (images with a PNG drawn
// here, anything else refused), so nothing leaves the machine. A post named canary.md must be caught running
// script (it proves the check sees scripts); any other post that runs script or loses an image fails the check.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, extname, relative, sep } from 'node:path';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';

const require = createRequire(join(process.cwd(), 'package.json'));
const { chromium } = require('playwright-core');
const site = process.cwd();
const publicDir = join(site, 'public');
const screenshotPost = process.argv[2];
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.xml': 'application/xml', '.json': 'application/json' };

function png(width, height) {  // a grey RGB image, so a stand-in for a remote picture renders as a picture
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body)); return Buffer.concat([len, body, sum]); };
  const header = Buffer.alloc(13); header.writeUInt32BE(width, 0); header.writeUInt32BE(height, 4); header[8] = 8; header[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0xb0)]);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array(height).fill(row)))), chunk('IEND', Buffer.alloc(0))]);
}
const STAND_IN = png(320, 200);

function htmlPages(dir) {  // every public/<path>/index.html: post pages, and the index, archive and category pages
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...htmlPages(path));
    else if (name === 'index.html') found.push(path);
  }
  return found;
}
const LISTING = /^\/(?:page|archives|categories|tags)\/|^\/$/;

const server = createServer((req, res) => {
  let pathname;
  try { pathname = decodeURIComponent(new URL(`http://127.0.0.1${req.url}`).pathname); } catch { pathname = '/'; }
  const path = join(publicDir, pathname);
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
  if (!file.startsWith(publicDir) || !existsSync(file)) { res.writeHead(404); res.end('not found'); return; }
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), 'site-check-'));
// a fresh profile (--user-data-dir, which playwright passes for a persistent context) for every run
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const failures = [];
let canaryCaught = false, images = 0, pages = 0, posts = 0;
try {
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' && url.port === String(server.address().port)) return route.continue();
    if (route.request().resourceType() === 'image') return route.fulfill({ status: 200, contentType: 'image/png', body: STAND_IN });
    return route.abort();
  });
  for (const file of htmlPages(publicDir).sort()) {
    const path = '/' + relative(publicDir, file).split(sep).slice(0, -1).join('/') + '/';
    const page = await context.newPage();
    const ran = [];
    page.on('dialog', (dialog) => { ran.push(`${dialog.type()}(${dialog.message()})`); dialog.dismiss().catch(() => {}); });
    await page.exposeFunction('__siteCheckRan', (what) => ran.push(what));
    await page.addInitScript(() => {
      for (const name of ['alert', 'confirm', 'prompt', 'print']) {
        const original = window[name];
        window[name] = (...args) => { window.__siteCheckRan(`${name}(${args.join(',')})`); return original.apply(window, args); };
      }
    });
    await page.goto(origin + path, { waitUntil: 'load' });
    await page.waitForTimeout(300);
    const report = await page.evaluate(() => {
      const entries = [...document.querySelectorAll('.article-entry')];
      const shown = entries.flatMap((entry) => [...entry.querySelectorAll('img[src]:not([src=""])')]).map((img) => ({
        src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0,
        boxed: img.getBoundingClientRect().width > 0 && img.getBoundingClientRect().height > 0 }));
      return { shown, asText: entries.some((entry) => /<\/?(?:div|p|img|span)[\s>]/i.test(entry.innerText)) };
    });
    const problems = [];
    const canary = ran.filter((what) => what.includes('canary'));
    const scripts = ran.filter((what) => !what.includes('canary'));
    canaryCaught ||= canary.length > 0;
    if (scripts.length) problems.push(`script ran: ${[...new Set(scripts)].join('; ')}`);
    const isCanary = path.endsWith('/canary/');
    if (!LISTING.test(path) && !isCanary) {
      const source = join(site, 'source', '_posts', path.slice(1, -1) + '.md');
      const body = existsSync(source) ? readFileSync(source, 'utf8').split('\n---\n').slice(2).join('\n---\n') : '';
      const expected = body.match(/<img\s[^>]*\bsrc="[^"]/gi)?.length || 0;  // an image with a source
      if (report.shown.length < expected) problems.push(`${expected - report.shown.length} of ${expected} body images not rendered as images`);
      const broken = report.shown.filter((img) => !img.loaded || !img.boxed);
      if (broken.length) problems.push(`${broken.length} images not drawn: ${broken.slice(0, 3).map((img) => img.src).join(' ')}`);
      if (report.asText) problems.push('tags shown as text');
      posts += 1;
    }
    if (problems.length) failures.push(`${path}: ${problems.join('; ')}`);
    if (screenshotPost && path === screenshotPost) await page.screenshot({ path: join(site, 'screenshot.png'), fullPage: false });
    pages += 1;
    images += report.shown.length;
    await page.close();
  }
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const failure of failures) console.log('  ' + failure);
console.log(`site-check: ${pages} pages (${posts} posts, the canary, index and archive pages) opened in ${origin}, ` +
  `${images} body images drawn, ` +
  `${failures.length} pages failed; canary ${canaryCaught ? 'caught running script' : 'NOT caught: the check is blind'}`);
process.exit(failures.length || !canaryCaught ? 1 : 0);
