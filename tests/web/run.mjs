// Browser tests of the dashboard (web/): headless Chromium (Debian's chromium package) driven by
// playwright-core (web/node_modules). Builds a store with January 2019 Henan (as
// tests/integration/http_api.sh does), starts `lantian api --web web/dist` on loopback, opens
// every page at 1920×1080 and 390×844, checks the numbers shown against the API's answers, and
// saves full-page screenshots into $LT_TMP/web-screens/. The devices page: a device added with
// `lantian device add`, MNs put into the quarantine with the sqlite3 CLI, adopted through the form.
// The 导出 CSV / 导出 Excel links of the tables download the API's files. Also checks static serving over raw HTTP
// (types, caching, traversal refused). Ends with "N passed, N failed".
//
// Env: LANTIAN (binary), LT_SRC (source tree), LT_SHARED (shared data), LT_TMP (scratch dir),
// CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { join } from 'node:path';

const env = (k) => { if (!process.env[k]) { console.error(`web test: ${k} is not set`); process.exit(2); } return process.env[k]; };
const LANTIAN = env('LANTIAN'), SRC = env('LT_SRC'), SHARED = env('LT_SHARED'), TMP = env('LT_TMP');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DIST = join(SRC, 'web', 'dist');
for (const [p, what] of [[join(DIST, 'index.html'), 'web/dist (run scripts/build-web.sh)'],
  [join(SRC, 'web', 'node_modules', 'playwright-core'), 'playwright-core (run scripts/build-web.sh)'],
  [CHROMIUM, 'Chromium (run scripts/setup.sh: Debian package chromium)']]) {
  if (!existsSync(p)) { console.error(`web test: missing ${what}: ${p}`); console.log('0 passed, 1 failed'); process.exit(1); }
}
const { chromium } = createRequire(join(SRC, 'web', 'package.json'))('playwright-core');

const T = join(TMP, 'web');
const SHOTS = join(TMP, 'web-screens');
rmSync(T, { recursive: true, force: true });
mkdirSync(T, { recursive: true });
mkdirSync(SHOTS, { recursive: true });

let passed = 0, failed = 0;
function check(name, cond, detail = '') {
  if (cond) { passed++; } else { failed++; console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`); }
}
function eq(name, got, want) { check(name, String(got) === String(want), `shown ${JSON.stringify(got)}, API ${JSON.stringify(want)}`); }

// ---- the store and the server ---------------------------------------------------------------
const db = join(T, 'w.db');
const cn = join(SHARED, 'data', 'cnemc');
const henan = join(cn, 'henan-2019');
const files = readdirSync(henan).filter((f) => /^china_sites_201901\d\d\.csv\.gz$/.test(f) || f === 'china_sites_20190201.csv.gz').sort().map((f) => join(henan, f));
execFileSync(LANTIAN, ['import', 'cnemc', '--db', db, '--stations', join(cn, 'stations.csv'), ...files], { stdio: ['ignore', 'ignore', 'pipe'] });

// Accounts (when this build has them): an admin for the pages that need a login.
const USER = 'webtest', PASS = 'web-test-password-1';
let auth = false;
try {
  execFileSync(LANTIAN, ['user', '--help'], { stdio: 'ignore' });
  auth = true;
} catch { /* no accounts in this build: every endpoint is open */ }
if (auth) execFileSync(LANTIAN, ['user', 'add', '--db', db, '--name', USER, '--role', 'admin', '--password-stdin'], { input: `${PASS}\n`, stdio: ['pipe', 'ignore', 'pipe'] });

// Devices: one registered air device that sent frames a minute ago (a device_health row of the
// current hour: online), and unknown MNs in quarantine (inserted as tests/integration/device_cli.sh
// does), one to adopt through the form at each viewport size.
const DEV = 'AIRWEB0000000001';
const QMN = { wall: 'UNKWEB0000000001', phone: 'UNKWEB0000000002' };
execFileSync(LANTIAN, ['device', 'add', '--db', db, '--mn', DEV, '--kind', 'air', '--site', '1316A'], { stdio: ['ignore', 'ignore', 'pipe'] });
{
  const now = Date.now();
  const sql = (q) => execFileSync('sqlite3', [db, q], { stdio: ['ignore', 'ignore', 'pipe'] });
  sql(`INSERT INTO device_health (mn, hour, frames, vals, e6, e7, last_ms, last_peer) VALUES ('${DEV}', ${Math.floor(now / 3600000) * 3600}, 12, 60, 2, 1, ${now - 60000}, '10.9.8.7:40000')`);
  sql(`INSERT INTO quarantine VALUES ('${QMN.wall}', ${now - 3600000}, ${now - 60000}, 42, '10.1.2.3:40000', NULL)`);
  sql(`INSERT INTO quarantine VALUES ('${QMN.phone}', ${now - 7200000}, ${now - 120000}, 3, '10.1.2.4:40001', NULL)`);
}

// The audit log (admins): a correction made with the CLI gives a row with a value before and
// after; an analyst is the user who must not see the audit page.
const ANA = 'webana', ANAPASS = 'web-ana-password-1';
if (auth) {
  execFileSync(LANTIAN, ['correct', '--db', db, '--site', '1316A', '--pollutant', 'PM2.5', '--time', '2019-01-15 08:00', '--value', '50.5', '--who', '网页测试', '--why', '审计页测试'], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync(LANTIAN, ['user', 'add', '--db', db, '--name', ANA, '--role', 'analyst', '--password-stdin'], { input: `${ANAPASS}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

const portFile = join(T, 'port');
const srv = spawn(LANTIAN, ['api', '--db', db, '--http', '127.0.0.1:0', '--port-file', portFile,
  '--targets', join(SRC, 'config', 'targets-demo.ini'), '--web', DIST], { stdio: ['ignore', 'ignore', 'pipe'] });
let srvLog = '';
srv.stderr.on('data', (d) => { srvLog += d; });
let browser;
async function stop(code) {
  if (browser) await browser.close().catch(() => {});
  srv.kill('SIGTERM');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code);
}
process.on('unhandledRejection', (e) => { console.log(`FAIL: ${e?.stack || e}`); failed++; stop(1); });
process.on('uncaughtException', (e) => { console.log(`FAIL: ${e?.stack || e}`); failed++; stop(1); });
// Whatever ends this process (a throw at the top level included), the server does not outlive it.
process.on('exit', () => { if (srv.exitCode === null) srv.kill('SIGKILL'); });
for (let i = 0; i < 100 && !(existsSync(portFile) && readFileSync(portFile, 'utf8').trim()); i++) await new Promise((r) => setTimeout(r, 100));
if (!existsSync(portFile)) { console.log(`FAIL server did not start\n${srvLog}`); failed++; await stop(1); }
const BASE = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
async function api(path, params = {}) {
  const u = new URL(path, BASE);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const r = await fetch(u, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  if (!r.ok) throw new Error(`${u}: ${r.status} ${await r.text()}`);
  return r.json();
}
// A raw request (the path as given, no normalisation): [status, headers, body].
function raw(path, method = 'GET', headers = {}) {
  return new Promise((res, rej) => {
    const rq = request(`${BASE}/`, { method, path, headers }, (r) => {
      let b = '';
      r.on('data', (d) => { b += d; });
      r.on('end', () => res([r.statusCode, r.headers, b]));
    });
    rq.on('error', rej);
    rq.end();
  });
}

// ---- static serving -------------------------------------------------------------------------
{
  const [s, hd, body] = await raw('/');
  check('GET / is index.html', s === 200 && hd['content-type'] === 'text/html; charset=utf-8' && body.includes('蓝天'), `${s} ${hd['content-type']}`);
  check('index.html revalidates', hd['cache-control'] === 'no-cache' && !!hd.etag);
  const [s2, h2] = await raw('/app.js');
  check('app.js type and caching', s2 === 200 && h2['content-type'] === 'text/javascript; charset=utf-8' && /max-age/.test(h2['cache-control']), `${s2} ${h2['content-type']}`);
  const [s3] = await raw('/app.js', 'GET', { 'If-None-Match': h2.etag });
  eq('If-None-Match gives 304', s3, 304);
  const [s4, h4] = await raw('/echarts.min.js', 'HEAD');
  check('HEAD echarts.min.js', s4 === 200 && Number(h4['content-length']) > 100000, `${s4} ${h4['content-length']}`);
  // "%00" ends the path where libmicrohttpd decodes it: what is left is checked like any path
  // (here /app.js, served as JavaScript, never as the ".html" after the NUL).
  const [s7, h7] = await raw('/app.js%00.html');
  check('a NUL cuts the path', s7 === 200 && h7['content-type'].startsWith('text/javascript'), `${s7} ${h7['content-type']}`);
  for (const p of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/..%2fetc/passwd', '/.%2e/x', '//etc/passwd', '/a%00b', '/%2e%2e%00/x', '/%5c..%5cx', '/.hidden', '/nope.js', '/app.js/', '/%2fetc%2fpasswd', '/web/../../x']) {
    const [st, hh, b] = await raw(p);
    check(`refused ${p}`, st === 404 && hh['content-type'] === 'application/json; charset=utf-8' && JSON.parse(b).error.code === 'not_found', `${st} ${b.slice(0, 80)}`);
  }
  const [s5, , b5] = await raw('/api/nope');
  check('unknown /api path is the API 404', s5 === 404 && JSON.parse(b5).error.message.includes('no such endpoint'), b5);
  const [s6] = await raw('/index.html', 'POST');
  eq('POST to a file is 405', s6, 405);
}

let token = null;
if (auth) {
  const r = await fetch(`${BASE}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: USER, password: PASS }) });
  check('API login', r.ok, `${r.status}`);
  token = (await r.json()).token;
}
// ---- what the API says (the expected numbers) -------------------------------------------------
const province = '河南';
const first = (await api('/api/sites', { province, limit: 1 })).items[0];
const hour = (await api(`/api/sites/${first.code}`)).last_hour; // no real-time data: the last hour
const at = `${hour.slice(0, 10)}T${hour.slice(11, 13)}${hour.slice(14, 16)}`;
const day = hour.slice(0, 10);
// The month the dashboard's statistics and rankings default to (web/src/app.js defaultMonth).
const month = Number(day.slice(8, 10)) > 7 ? day.slice(0, 7) : new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, 0)).toISOString().slice(0, 7);
const cities = await api('/api/aqi/latest', { province, level: 'city', at, limit: 5000 });
const zz = cities.items.find((r) => r.city === '郑州');
const statsZZ = await api('/api/stats', { city: '郑州', period: month });
const rankMonth = await api('/api/rank', { level: 'city', province, period: month, limit: 5000 });
const health = await api('/api/health');
const targetsZZ = await api('/api/targets', { city: '郑州', year: day.slice(0, 4), as_of: day, config: health.targets });
check('API has data', !!hour && !!zz && cities.total === 17 && targetsZZ.items.length > 0, `hour ${hour}, cities ${cities.total}`);

// ---- the pages ----------------------------------------------------------------------------------
browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
const VIEWS = [{ name: 'wall', width: 1920, height: 1080 }, { name: 'phone', width: 390, height: 844, isMobile: true }];
const texts = (page, sel) => page.locator(sel).allInnerTexts();
const text = async (page, testid) => (await page.getByTestId(testid).innerText()).trim();

for (const v of VIEWS) {
  const ctx = await browser.newContext({ viewport: { width: v.width, height: v.height }, isMobile: !!v.isMobile, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // 401s are expected while not logged in (the pages ask, then show the login form).
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });
  async function open(hash, ready) {
    await page.goto(`${BASE}/${hash}`);
    await page.waitForSelector(`body[data-ready="${ready}"], body[data-ready="error"]`, { timeout: 30000 });
    const err = await page.locator('[data-testid=error]').count();
    check(`${v.name} ${hash} rendered`, err === 0, err ? await text(page, 'error') : '');
    await page.waitForTimeout(300); // charts paint on the next frames
  }
  const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}-${v.name}.png`), fullPage: true });
  // 导出 CSV / Excel: the link asks the API for the table with the page's parameters; a click
  // saves the file (fetched with the session's token) under the name the API gives.
  async function exported(id, format, nameStart, params) {
    try { await exported1(id, format, nameStart, params); } catch (e) { check(`${v.name} export ${id} ${format}`, false, e.message.split('\n')[0]); }
  }
  async function exported1(id, format, nameStart, params) {
    const a = page.getByTestId(`export-${id}-${format}`);
    const u = new URL(await a.getAttribute('href'), BASE);
    check(`${v.name} export ${id} ${format} link`, u.searchParams.get('format') === format && Object.entries(params).every(([k, val]) => u.searchParams.get(k) === String(val)), u.search);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), a.click()]);
    const body = readFileSync(await dl.path());
    check(`${v.name} export ${id} ${format} file name`, dl.suggestedFilename().startsWith(nameStart) && dl.suggestedFilename().endsWith(`.${format}`), dl.suggestedFilename());
    if (format === 'xlsx') check(`${v.name} export ${id} is a workbook`, body.length > 1000 && body.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 3, 4])), `${body.length} bytes`);
    else eq(`${v.name} export ${id} csv is the API's`, body.toString('utf8'), await (await fetch(u, token ? { headers: { Authorization: `Bearer ${token}` } } : {})).text());
    eq(`${v.name} export ${id} ${format} no error`, await page.getByTestId('export-error').count(), 0);
  }

  // Without a login: the public page and the overview at a given hour (the public endpoints).
  for (const [hash, ready, prefix] of [[`#/public?at=${at}`, 'public', 'public-aqi'], [`#/overview?at=${at}`, 'overview', 'city-aqi']]) {
    await open(hash, ready);
    eq(`${v.name} anonymous ${ready} hour`, await text(page, 'ref-hour'), hour);
    // Real data: no demonstration note (/api/health's demo is null), no "null" written anywhere.
    check(`${v.name} ${ready}: no demo note on real data`, (await page.getByTestId('demo-note').count()) === 0);
    check(`${v.name} ${ready}: header without "null"`, !(await page.locator('#meta').innerText()).includes('null'));
    for (const r of cities.items) eq(`${v.name} anonymous ${ready} ${r.city} AQI`, await text(page, `${prefix}-${r.city}`), r.aqi ?? '—');
    await shot(`${ready}-anonymous`);
  }
  const porder0 = (await (async () => { await open(`#/public?at=${at}`, 'public'); return texts(page, '[data-testid=public-rank] tbody tr td:nth-child(2)'); })()).map((s) => s.trim());
  eq(`${v.name} anonymous monthly ranking order`, porder0.join(','), rankMonth.items.map((r) => r.area).join(','));
  await exported('public-rank', 'xlsx', '排名', { level: 'city', province, period: month });
  if (auth) {
    // A page that needs a login shows the form; logging in there shows the page.
    await page.goto(`${BASE}/#/city?city=郑州`);
    await page.waitForSelector('[data-testid=login]', { timeout: 30000 });
    await shot('login');
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=password]', PASS);
    await page.click('[data-testid=login] button[type=submit]');
    await page.waitForSelector('body[data-ready="city"]', { timeout: 15000 }).catch(async (e) => { console.log(await page.locator('main').innerText()); throw e; });
    check(`${v.name} logged in`, (await page.getByTestId('logout').count()) === 1);
  }

  // 总览
  await open('#/overview', 'overview');
  eq(`${v.name} overview hour`, await text(page, 'ref-hour'), hour);
  eq(`${v.name} overview 郑州 AQI`, await text(page, 'city-aqi-郑州'), zz.aqi);
  eq(`${v.name} overview 郑州 primary`, await text(page, 'city-primary-郑州'), zz.primary ?? '—');
  eq(`${v.name} overview city rows`, await page.locator('[data-testid=city-list] tbody tr').count(), cities.total);
  for (const r of cities.items) eq(`${v.name} overview ${r.city} AQI`, await text(page, `city-aqi-${r.city}`), r.aqi ?? '—');
  check(`${v.name} overview map drawn`, (await page.locator('[data-testid=site-map] canvas').count()) === 1);
  check(`${v.name} overview trend drawn`, (await page.locator('[data-testid=trend] canvas').count()) === 1);
  await shot('overview');

  // 城市
  await open('#/city?city=郑州', 'city');
  eq(`${v.name} city name`, await text(page, 'area-name'), '郑州');
  eq(`${v.name} city stats PM2.5 mean`, (await text(page, 'stats-mean-PM2.5')).split(' ')[0], statsZZ.pollutants['PM2.5'].mean);
  eq(`${v.name} city stats PM2.5 valid days`, await text(page, 'stats-valid-PM2.5'), statsZZ.pollutants['PM2.5'].valid_days);
  eq(`${v.name} city stats index`, await text(page, 'stats-index'), statsZZ.index);
  eq(`${v.name} city stats good days`, await text(page, 'stats-good-days'), statsZZ.good_days);
  const order = (await texts(page, '[data-testid=rank-table] tbody tr td:nth-child(2)')).map((s) => s.trim());
  eq(`${v.name} city ranking order`, order.join(','), rankMonth.items.map((r) => r.area).join(','));
  await exported('rank', 'xlsx', '排名', { level: 'city', province, period: month });
  await exported('rank', 'csv', '排名', { level: 'city', province, period: month });
  await exported('daily', 'xlsx', '日AQI', { city: '郑州' });
  for (const id of ['hourly', 'daily', 'calendar', 'diurnal']) check(`${v.name} city ${id} drawn`, (await page.locator(`[data-testid=${id}] canvas`).count()) === 1);
  await shot('city');

  // 目标
  await open('#/targets?city=郑州', 'targets');
  eq(`${v.name} targets title`, await text(page, 'target-title'), targetsZZ.target);
  eq(`${v.name} targets days remaining`, await text(page, 'days-remaining'), targetsZZ.days_remaining);
  for (const [i, it] of targetsZZ.items.entries()) {
    eq(`${v.name} targets sentence ${i}`, await text(page, `target-sentence-${i}`), it['说明']);
    check(`${v.name} targets gauge ${i} drawn`, (await page.locator(`[data-testid=gauge-${i}] canvas`).count()) === 1);
  }
  await shot('targets');

  // 公众
  await open('#/public', 'public');
  for (const r of cities.items) eq(`${v.name} public ${r.city} AQI`, await text(page, `public-aqi-${r.city}`), r.aqi ?? '—');
  const porder = (await texts(page, '[data-testid=public-rank] tbody tr td:nth-child(2)')).map((s) => s.trim());
  eq(`${v.name} public monthly ranking order`, porder.join(','), rankMonth.items.map((r) => r.area).join(','));
  await shot('public');

  // 设备 (needs a login; the quarantine and adopting need an admin)
  if (auth) {
    await open('#/devices', 'devices');
    const devs = await api('/api/devices', { limit: 5000 });
    const quar = await api('/api/quarantine', { limit: 5000 });
    const exc = await api('/api/exceedances', { limit: 1000 });
    eq(`${v.name} devices rows`, await page.locator('[data-testid=device-list] tbody tr').count(), devs.total);
    const d = devs.items.find((r) => r.mn === DEV);
    const dh = await api(`/api/devices/${DEV}/health`);
    check(`${v.name} devices API has the device`, !!d && dh.summary.frames === 12 && dh.summary.errors === 3, JSON.stringify(dh.summary));
    eq(`${v.name} device kind`, await text(page, `dev-kind-${DEV}`), d.kind);
    eq(`${v.name} device site`, await text(page, `dev-place-${DEV}`), d.site);
    eq(`${v.name} device enabled`, await text(page, `dev-enabled-${DEV}`), d.enabled ? '是' : '否');
    eq(`${v.name} device last seen`, await text(page, `dev-last-${DEV}`), dh.summary.last_seen);
    eq(`${v.name} device frames`, await text(page, `dev-frames-${DEV}`), dh.summary.frames);
    eq(`${v.name} device errors`, await text(page, `dev-errors-${DEV}`), dh.summary.errors);
    eq(`${v.name} device online`, await text(page, `dev-status-${DEV}`), '在线');
    check(`${v.name} device error reasons`, /crc:2/.test(await page.locator('[data-testid=device-list] tbody tr', { hasText: DEV }).innerText()));
    eq(`${v.name} quarantine rows`, await page.locator('[data-testid=quarantine-list] tbody tr').count(), quar.total);
    for (const r of quar.items) {
      eq(`${v.name} quarantine ${r.mn} first seen`, await text(page, `q-first-${r.mn}`), r.first_seen);
      eq(`${v.name} quarantine ${r.mn} last seen`, await text(page, `q-last-${r.mn}`), r.last_seen);
      eq(`${v.name} quarantine ${r.mn} frames`, await text(page, `q-frames-${r.mn}`), r.frames);
      eq(`${v.name} quarantine ${r.mn} peer`, await text(page, `q-peer-${r.mn}`), r.last_peer);
    }
    check(`${v.name} quarantine has ${QMN[v.name]}`, quar.items.some((r) => r.mn === QMN[v.name]));
    eq(`${v.name} exceedances`, exc.total ? await page.locator('[data-testid=exceedance-list] tbody tr').count() : await page.getByTestId('exceedance-empty').count(), exc.total || 1);
    await exported('devices', 'xlsx', '设备', { limit: 5000 });
    await exported('quarantine', 'csv', '隔离区', { limit: 5000 });
    await shot('devices');
    // 领用: wall adopts an air device at a site, phone a CEMS outlet with a password.
    const mn = QMN[v.name];
    await page.getByTestId(`adopt-${mn}`).click();
    await page.waitForSelector('[data-testid=adopt-form]');
    if (v.name === 'wall') {
      await page.selectOption('[data-testid=adopt-form] select[name=kind]', 'air');
      await page.fill('[data-testid=adopt-form] input[name=place]', '1316A');
    } else {
      await page.selectOption('[data-testid=adopt-form] select[name=kind]', 'cems');
      await page.fill('[data-testid=adopt-form] input[name=place]', 'ENTWEB-DA001');
      await page.fill('[data-testid=adopt-form] input[name=pw]', '123456');
    }
    await shot('devices-adopt');
    await page.click('[data-testid=adopt-form] button[type=submit]');
    await page.waitForSelector(`[data-testid=dev-mn-${mn}]`, { timeout: 15000 }).catch(async (e) => { console.log(await page.locator('main').innerText()); throw e; });
    await page.waitForSelector('body[data-ready="devices"]', { timeout: 15000 });
    eq(`${v.name} adopted MN left the quarantine list`, await page.getByTestId(`q-mn-${mn}`).count(), 0);
    eq(`${v.name} adopted MN in the devices list`, await page.getByTestId(`dev-mn-${mn}`).count(), 1);
    const after = await api('/api/devices', { limit: 5000 });
    const ad = after.items.find((r) => r.mn === mn);
    check(`${v.name} adopted MN in GET /api/devices`, !!ad && ad.kind === (v.name === 'wall' ? 'air' : 'cems') && (v.name === 'wall' ? ad.site === '1316A' : ad.outlet === 'ENTWEB-DA001' && ad.pw_check === true), JSON.stringify(ad));
    check(`${v.name} adopted MN not in GET /api/quarantine`, !(await api('/api/quarantine')).items.some((r) => r.mn === mn));
    eq(`${v.name} adopted device place`, await text(page, `dev-place-${mn}`), v.name === 'wall' ? '1316A' : 'ENTWEB-DA001');
    eq(`${v.name} adopted device offline`, await text(page, `dev-status-${mn}`), '离线');
    eq(`${v.name} devices rows after adopting`, await page.locator('[data-testid=device-list] tbody tr').count(), after.total);
    await shot('devices-adopted');

    // 审计日志: the admin sees the link and the page; its rows are GET /api/audit's.
    check(`${v.name} audit link shown to an admin`, await page.locator('#nav a[data-page=audit]').isVisible());
    await open('#/audit', 'audit');
    const au = await api('/api/audit', { limit: 50 });
    check(`${v.name} audit log has more than a page`, au.total > 50, `total ${au.total}`);
    eq(`${v.name} audit rows`, await page.locator('[data-testid=audit-list] tbody tr').count(), au.items.length);
    for (const r of au.items) {
      eq(`${v.name} audit ${r.id} time`, await text(page, `audit-at-${r.id}`), r.at);
      eq(`${v.name} audit ${r.id} user`, await text(page, `audit-user-${r.id}`), r.user);
      eq(`${v.name} audit ${r.id} action`, await page.getByTestId(`audit-action-${r.id}`).getAttribute('title'), r.action);
      eq(`${v.name} audit ${r.id} object`, await text(page, `audit-object-${r.id}`), r.object);
    }
    eq(`${v.name} audit first row is the newest`, (await page.locator('[data-testid=audit-list] tbody tr').first().getAttribute('data-testid')), `audit-row-${au.items[0].id}`);
    eq(`${v.name} audit pager`, await text(page, 'audit-page'), `第 1 / ${Math.ceil(au.total / 50)} 页，共 ${au.total} 条`);
    // The adopt just made: before the quarantine entry, after the device (diff per member).
    const adoptRow = au.items.find((r) => r.action === 'quarantine_adopt' && r.object === `device/${mn}`);
    check(`${v.name} audit has the adopt`, !!adoptRow);
    if (adoptRow) {
      const li = page.getByTestId(`audit-diff-${adoptRow.id}`).locator('li[data-key=mn]');
      eq(`${v.name} audit adopt diff keeps mn`, await li.count(), 0); /* the same before and after */
      const diff = page.getByTestId(`audit-diff-${adoptRow.id}`);
      eq(`${v.name} audit adopt diff kind (added)`, await diff.locator('li[data-key=kind].added ins').innerText(), adoptRow.after.kind);
      eq(`${v.name} audit adopt diff frames (removed)`, await diff.locator('li[data-key=frames].removed del').innerText(), String(adoptRow.before.frames));
    }
    await shot('audit');
    // Filter by action through the form: the correction, its value before -> after.
    const ac = await api('/api/audit', { action: 'correction', limit: 50 });
    await page.selectOption('[data-testid=audit-action]', 'correction');
    await page.click('[data-testid=audit-filter] button[type=submit]');
    await page.waitForFunction((n) => location.hash.includes('action=correction') && document.body.dataset.ready === 'audit' &&
      document.querySelector('[data-testid=audit-page]')?.textContent.includes(`共 ${n} 条`), ac.total, { timeout: 15000 });
    eq(`${v.name} audit filtered rows`, await page.locator('[data-testid=audit-list] tbody tr').count(), ac.items.length);
    const c0 = ac.items[0];
    check(`${v.name} audit correction row`, !!c0 && c0.after.value === 50.5 && c0.user.startsWith('cli:'), JSON.stringify(c0));
    const vli = page.getByTestId(`audit-diff-${c0.id}`).locator('li[data-key=value].changed');
    eq(`${v.name} audit correction before`, await vli.locator('del').innerText(), String(c0.before.value));
    eq(`${v.name} audit correction after`, await vli.locator('ins').innerText(), String(c0.after.value));
    await shot('audit-filtered');
    // Page 2 of the whole log.
    await open('#/audit?page=2', 'audit');
    const au2 = await api('/api/audit', { limit: 50, offset: 50 });
    const ids = (await page.locator('[data-testid=audit-list] tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.testid))).join(',');
    eq(`${v.name} audit page 2 rows`, ids, au2.items.map((r) => `audit-row-${r.id}`).join(','));
    eq(`${v.name} audit page 2 pager`, await text(page, 'audit-page'), `第 2 / ${Math.ceil(au2.total / 50)} 页，共 ${au2.total} 条`);
  }

  // Nothing overflows the viewport sideways (tables scroll inside their cards).
  for (const hash of ['#/overview', '#/city?city=郑州', '#/targets?city=郑州', '#/public', ...(auth ? ['#/devices', '#/audit'] : [])]) {
    await open(hash, hash.slice(2).split('?')[0]);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(`${v.name} ${hash} fits ${v.width}px`, w <= v.width, `scrollWidth ${w}`);
  }
  check(`${v.name} no script errors`, errors.length === 0, errors.join(' | '));
  await ctx.close();
}
// A user who is not an administrator: no audit link, the audit page refused, and the API agrees.
if (auth) {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${BASE}/#/audit`);
  await page.waitForSelector('[data-testid=login]', { timeout: 30000 });
  check('anonymous: no audit link', !(await page.locator('#nav a[data-page=audit]').isVisible()));
  await page.fill('input[name=username]', ANA);
  await page.fill('input[name=password]', ANAPASS);
  await page.click('[data-testid=login] button[type=submit]');
  await page.waitForSelector('body[data-ready="audit"]', { timeout: 15000 });
  eq('analyst: audit page refused', await page.getByTestId('audit-forbidden').count(), 1);
  eq('analyst: no audit rows shown', await page.locator('[data-testid=audit-list]').count(), 0);
  check('analyst: no audit link', !(await page.locator('#nav a[data-page=audit]').isVisible()));
  await page.goto(`${BASE}/#/devices`);
  await page.waitForSelector('body[data-ready="devices"]', { timeout: 30000 });
  check('analyst: no audit link on another page', !(await page.locator('#nav a[data-page=audit]').isVisible()));
  const tok = await page.evaluate(() => sessionStorage.getItem('lantian.token'));
  const r = await fetch(`${BASE}/api/audit`, { headers: { Authorization: `Bearer ${tok}` } });
  eq('analyst: GET /api/audit', r.status, 403);
  await page.screenshot({ path: join(SHOTS, 'audit-analyst-wall.png'), fullPage: true });
  check('analyst: no script errors', errors.length === 0, errors.join(' | '));
  await ctx.close();
}
console.log(`web test: screenshots in ${SHOTS}`);
await stop(failed ? 1 : 0);
