// lantian dashboard: a hash-routed single page on the read-only API (docs/API.md). Plain ES module;
// ECharts is the global `echarts` (echarts.min.js, loaded first). Every number shown comes from
// the API as it is: the dashboard rounds nothing and computes only the diurnal profile's means.
//
// Routes: #/overview  #/city?city=郑州 (or ?county=…)  #/targets?city=…  #/public  #/devices
//         #/audit (admins: the audit log; ?action=…&user=…&page=N)
// Common query: province (default 河南), at (a Beijing hour YYYY-MM-DDTHHMM; default: real time,
// else the last hour the store has).

const echarts = window.echarts;
const POLS = ['PM2.5', 'PM10', 'O3', 'NO2', 'SO2', 'CO'];
const UNITS = { CO: 'mg/m³' };
// HJ 633 Appendix A: AQI bands and their colours.
const BANDS = [
  [50, '#00E400', '优'], [100, '#FFFF00', '良'], [150, '#FF7E00', '轻度污染'],
  [200, '#FF0000', '中度污染'], [300, '#99004C', '重度污染'], [Infinity, '#7E0023', '严重污染'],
];
export function aqiColour(aqi) {
  if (aqi === null || aqi === undefined) return '#BBBBBB';
  for (const [hi, rgb] of BANDS) if (aqi <= hi) return rgb;
  return '#7E0023';
}

// ---- API ------------------------------------------------------------------------------------
const TOKEN_KEY = 'lantian.token';
class AuthError extends Error {}
async function api(path, params = {}) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  const headers = { Accept: 'application/json' };
  const tok = sessionStorage.getItem(TOKEN_KEY);
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const r = await fetch(u, { headers });
  if (r.status === 401) {
    if (tok) sessionStorage.removeItem(TOKEN_KEY); // expired or revoked: log in again
    throw new AuthError('需要登录');
  }
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(body?.error?.message || `HTTP ${r.status}`);
  return body;
}

// /api/health once per page load: its "demo" says when the store holds real data moved in time
// (lantian import --shift-days), which every page then says in the header.
let healthOnce = null;
function healthInfo() {
  if (!healthOnce) healthOnce = api('/api/health').catch(() => null);
  return healthOnce;
}

// The same, but null when the endpoint needs a login we do not have (public pages go on without).
async function apiOpt(path, params) {
  try { return await api(path, params); } catch (e) { if (e instanceof AuthError) return null; throw e; }
}

// A write: POST a JSON body; the answer's body, or an Error with the API's message.
async function apiPost(path, body) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
  const tok = sessionStorage.getItem(TOKEN_KEY);
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const r = await fetch(new URL(path, location.origin), { method: 'POST', headers, body: JSON.stringify(body) });
  if (r.status === 401) {
    if (tok) sessionStorage.removeItem(TOKEN_KEY);
    throw new AuthError('需要登录');
  }
  const b = await r.json().catch(() => null);
  if (!r.ok) throw new Error(b?.error?.message || `HTTP ${r.status}`);
  return b;
}

// ---- 导出 CSV / Excel ------------------------------------------------------------------------
// Links to a table's API answer with format=csv / format=xlsx and the page's own parameters
// (docs/API.md "Formats"). The API wants the session's bearer token, which a plain link cannot
// send: a click fetches the file with it and saves it under the name the API gives.
function exportLinks(id, path, params = {}) {
  const one = (format, label) => {
    const u = new URL(path, location.origin);
    for (const [k, v] of Object.entries({ ...params, format })) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
    return h('a', { href: `${u.pathname}${u.search}`, 'data-testid': `export-${id}-${format}`, onclick: (e) => { e.preventDefault(); saveExport(u, e.currentTarget.parentElement); } }, label);
  };
  return h('span', { class: 'exports' }, one('csv', '导出 CSV'), one('xlsx', '导出 Excel'));
}
async function saveExport(u, box) {
  box.querySelector('.error')?.remove();
  try {
    const tok = sessionStorage.getItem(TOKEN_KEY);
    const r = await fetch(u, { headers: tok ? { Authorization: `Bearer ${tok}` } : {} });
    if (!r.ok) throw new Error((await r.json().catch(() => null))?.error?.message || `HTTP ${r.status}`);
    // Content-Disposition: attachment; filename="ascii.xlsx"; filename*=UTF-8''%E6%8E%92...
    const cd = r.headers.get('Content-Disposition') || '';
    const star = /filename\*=UTF-8''([^;\s]+)/i.exec(cd), plain = /filename="([^"]+)"/i.exec(cd);
    const name = star ? decodeURIComponent(star[1]) : plain ? plain[1] : `lantian.${u.searchParams.get('format')}`;
    const url = URL.createObjectURL(await r.blob());
    const a = h('a', { href: url, download: name, style: 'display:none' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    box.append(h('span', { class: 'error', 'data-testid': 'export-error' }, `导出失败：${e.message}`));
  }
}

// ---- small DOM helpers ----------------------------------------------------------------------
function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') e.style.cssText = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}
const fmt = (v) => (v === null || v === undefined ? '—' : String(v));
function badge(aqi, testid) {
  const c = aqiColour(aqi);
  const dark = ['#FFFF00', '#00E400'].includes(c);
  return h('span', { class: 'badge', style: `background:${c};color:${dark ? '#222' : '#fff'}`, 'data-testid': testid }, fmt(aqi));
}
function card(title, ...kids) { return h('section', { class: 'card' }, h('h2', {}, title), ...kids); }
function table(cols, rows, testid) {
  return h('div', { class: 'tablewrap' }, h('table', { 'data-testid': testid },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c.t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) => h('td', c.cls ? { class: c.cls } : {}, c.f(r))))))));
}
const charts = new Set();
function chart(el, option) {
  const c = echarts.init(el, null, { renderer: 'canvas' });
  c.setOption({ animation: false, textStyle: { fontFamily: 'inherit' }, ...option });
  charts.add(c);
  return c;
}
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
function disposeCharts() { charts.forEach((c) => c.dispose()); charts.clear(); }

// ---- time helpers (Beijing labels as the API gives them) ------------------------------------
const dayOf = (label) => label.slice(0, 10); // "2019-02-01 23:00" -> "2019-02-01"
const atParam = (label) => `${label.slice(0, 10)}T${label.slice(11, 13)}${label.slice(14, 16)}`;
function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
// The month statistics and rankings default to: the reference day's month, or the month before
// when the day is in a month's first week (a few days are not yet a month).
export function defaultMonth(day) {
  if (Number(day.slice(8, 10)) > 7) return day.slice(0, 7);
  return addDays(`${day.slice(0, 7)}-01`, -1).slice(0, 7);
}
function monthRange(day) {
  const from = `${day.slice(0, 7)}-01`;
  const d = new Date(`${from}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  d.setUTCDate(0);
  const last = d.toISOString().slice(0, 10);
  return { from, to: last < day ? last : day };
}

// ---- routing --------------------------------------------------------------------------------
function route() {
  const raw = location.hash.replace(/^#\/?/, '') || 'overview';
  const [page, qs] = raw.split('?');
  return { page, q: new URLSearchParams(qs || '') };
}
function link(page, q, extra = {}) {
  const p = new URLSearchParams(q);
  for (const [k, v] of Object.entries(extra)) { if (v === null) p.delete(k); else p.set(k, v); }
  const s = p.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

// The reference hour: `at` when given; else real time; else the store's last hour in the province.
async function referenceHour(q, province) {
  if (q.get('at')) {
    const r = await api('/api/aqi/latest', { province, level: 'city', at: q.get('at'), limit: 1 });
    return { hour: r.hour, live: false };
  }
  const r = await api('/api/aqi/latest', { province, level: 'city', limit: 1 });
  // The API answers with the store's newest hour; it is "live" only if that hour is recent.
  if (r.hour) {
    const t = Date.parse(`${r.hour.replace(' ', 'T')}:00+08:00`);
    return { hour: r.hour, live: Date.now() - t < 3 * 3600 * 1000 };
  }
  const s = await apiOpt('/api/sites', { province, limit: 1 });
  if (!s) return { hour: null, live: false, login: true };
  if (!s.items.length) return { hour: null, live: false };
  const one = await api(`/api/sites/${encodeURIComponent(s.items[0].code)}`);
  return { hour: one.last_hour, live: false };
}

const PAGES = { overview, city, targets, public: publicPage, devices, audit: auditPage };
// Pages that do not need an hour of AQI data (they show what the store has now).
const NO_HOUR = new Set(['devices', 'audit']);

async function render() {
  const { page, q } = route();
  const fn = PAGES[page] || overview;
  const main = document.getElementById('main');
  disposeCharts();
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('on', a.dataset.page === (PAGES[page] ? page : 'overview')));
  document.querySelectorAll('#nav a').forEach((a) => { a.href = link(a.dataset.page, keepCommon(q)); });
  main.replaceChildren(h('p', { class: 'loading' }, '加载中…'));
  document.body.dataset.ready = '';
  try {
    const province = q.get('province') || '河南';
    const ref = await referenceHour(q, province);
    const meta = document.getElementById('meta');
    const tok = sessionStorage.getItem(TOKEN_KEY);
    const demo = (await healthInfo())?.demo;
    // replaceChildren would write a null as the text "null": leave the absent parts out.
    meta.replaceChildren(...[
      demo ? h('span', { class: 'demo', 'data-testid': 'demo-note', title: `平移后的真实数据截至 ${demo.until}（北京时间）` }, demo.note) : null,
      h('span', {}, `${province}省 · `),
      h('span', { 'data-testid': 'ref-hour' }, ref.hour || '无数据'),
      ref.hour && !ref.live ? h('span', { class: 'warn' }, q.get('at') ? '（指定时次）' : '（近 7 天无实时数据，显示库中最后时次）') : null,
      tok ? h('a', { href: '#', class: 'auth', 'data-testid': 'logout', onclick: logout }, '退出') : h('a', { href: '#', class: 'auth', 'data-testid': 'login-link', onclick: (e) => { e.preventDefault(); document.getElementById('main').replaceChildren(loginForm()); } }, '登录')].filter(Boolean));
    await syncAdminNav();
    if (ref.login && !NO_HOUR.has(page)) throw new AuthError('需要登录');
    const kids = ref.hour || NO_HOUR.has(page) ? await fn({ q, province, hour: ref.hour, day: dayOf(ref.hour) }) : [h('p', { 'data-testid': 'no-data' }, '近 7 天没有实时数据。可在地址中用 at=YYYY-MM-DDTHHMM 指定时次，或登录后查看库中最后时次。')];
    main.replaceChildren(...kids);
    charts.forEach((c) => c.resize());
    document.body.dataset.ready = page;
  } catch (e) {
    if (e instanceof AuthError) main.replaceChildren(loginForm());
    else main.replaceChildren(h('p', { class: 'error', 'data-testid': 'error' }, `出错：${e.message}`));
    document.body.dataset.ready = 'error';
  }
}
function keepCommon(q) {
  const p = new URLSearchParams();
  for (const k of ['province', 'at']) if (q.get(k)) p.set(k, q.get(k));
  return p;
}
window.addEventListener('hashchange', render);

async function logout(e) {
  e.preventDefault();
  const tok = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  if (tok) await fetch('/api/logout', { method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' }, body: '{}' }).catch(() => {});
  render();
}

// Login (for when the API asks for it): POST /api/login {name, password} -> {token}; the token
// is kept for this tab only (sessionStorage) and sent as "Authorization: Bearer TOKEN".
function loginForm() {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error' });
  const f = h('form', { class: 'login card', 'data-testid': 'login', onsubmit: async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: user.value, password: pass.value }) });
      const b = await r.json().catch(() => null);
      if (!r.ok || !b?.token) throw new Error(b?.error?.message || '登录失败');
      sessionStorage.setItem(TOKEN_KEY, b.token);
      render();
    } catch (e) { msg.textContent = e.message; }
  } },
  h('h2', {}, '登录'), h('p', { class: 'small' }, '此页面的数据需要登录后查看。'), h('label', {}, '用户名', user), h('label', {}, '密码', pass), h('button', { type: 'submit' }, '登录'), msg);
  return f;
}

// ---- 总览 Overview --------------------------------------------------------------------------
async function overview({ q, province, hour, day }) {
  const at = atParam(hour);
  const [latest, cities] = await Promise.all([
    api('/api/aqi/latest', { province, at, limit: 5000 }),
    api('/api/aqi/latest', { province, level: 'city', at, limit: 5000 }),
  ]);
  // Station positions come with the public real-time AQI (no login needed).
  const pos = new Map(latest.items.filter((s) => s.lon !== null && s.lat !== null).map((s) => [s.code, s]));
  const sites = pos.size ? latest : null;
  const sel = q.get('city') || cities.items[0]?.city;
  const trend = sel ? await apiOpt('/api/aqi/hourly', { city: sel, from: day, to: day }) : { items: [] };

  const mapEl = h('div', { class: 'chart tall', 'data-testid': 'site-map' });
  const pts = latest.items.filter((r) => pos.has(r.code)).map((r) => {
    const s = pos.get(r.code);
    return { value: [s.lon, s.lat, r.aqi], name: `${r.city} ${r.name}`, itemStyle: { color: r.aqi === null ? '#BBBBBB' : r.rgb, borderColor: '#333', borderWidth: 0.5 } };
  });
  const cityRows = cities.items.map((r) => ({ ...r }));
  const trendEl = h('div', { class: 'chart', 'data-testid': 'trend' });
  const out = [
    h('div', { class: 'grid two' },
      card(`站点实时 AQI（${hour}）`, sites ? mapEl : needLogin('站点分布'), legend()),
      card(['城市实时 AQI', exportLinks('city-aqi', '/api/aqi/latest', { province, level: 'city', at, limit: 5000 })], table([
        { t: '城市', f: (r) => h('a', { href: link('city', keepCommon(q), { city: r.city }) }, r.city) },
        { t: 'AQI', f: (r) => badge(r.aqi, `city-aqi-${r.city}`) },
        { t: '类别', f: (r) => fmt(r.category) },
        { t: '首要污染物', f: (r) => h('span', { 'data-testid': `city-primary-${r.city}` }, fmt(r.primary)) },
        { t: 'PM2.5', f: (r) => fmt(r['PM2.5']) },
        { t: '站点', f: (r) => fmt(r.sites) },
        { t: '当日趋势', f: (r) => h('a', { href: link('overview', keepCommon(q), { city: r.city }) }, r.city === sel ? '●' : '查看') },
      ], cityRows, 'city-list'))),
    card(`${sel || ''} 当日逐时 AQI（${day}）`, trend ? trendEl : needLogin('当日趋势')),
  ];
  queueMicrotask(() => {
    if (sites) chart(mapEl, {
      tooltip: { formatter: (p) => `${p.name}<br>AQI ${fmt(p.value[2])}` },
      grid: { left: 50, right: 20, top: 30, bottom: 40 },
      xAxis: { type: 'value', name: '经度', scale: true, nameLocation: 'middle', nameGap: 25 },
      yAxis: { type: 'value', name: '纬度', scale: true },
      series: [{ type: 'scatter', symbolSize: 11, data: pts }],
    });
    if (trend) lineChart(trendEl, trend.items.map((r) => r.time.slice(11, 16)), trend.items.map((r) => r.aqi), 'AQI');
  });
  return out;
}
function needLogin(what) {
  return h('p', { class: 'needlogin', 'data-testid': 'need-login' }, `${what}需要登录后查看。`);
}
function legend() {
  return h('div', { class: 'legend' }, BANDS.map(([hi, c, name], i) =>
    h('span', {}, h('i', { style: `background:${c}` }), `${name} ${i ? BANDS[i - 1][0] + 1 : 0}${hi === Infinity ? '+' : `–${hi}`}`)));
}
function lineChart(el, xs, ys, name, extra = {}) {
  return chart(el, {
    tooltip: { trigger: 'axis' },
    grid: { left: 45, right: 15, top: 25, bottom: 30 },
    xAxis: { type: 'category', data: xs },
    yAxis: { type: 'value', name },
    visualMap: { show: false, pieces: BANDS.map(([hi, c], i) => ({ gt: i ? BANDS[i - 1][0] : -1, lte: hi === Infinity ? 10000 : hi, color: c })), outOfRange: { color: '#999' } },
    series: [{ type: 'line', data: ys, showSymbol: false, connectNulls: false, lineStyle: { width: 2 } }],
    ...extra,
  });
}

// ---- 城市 / 区县 City and county ------------------------------------------------------------
async function city({ q, province, hour, day }) {
  const kind = q.get('county') ? 'county' : 'city';
  let name = q.get(kind);
  const cities = await api('/api/aqi/latest', { province, level: 'city', at: atParam(hour), limit: 5000 });
  if (!name) name = cities.items[0]?.city || '';
  const period = q.get('period') || defaultMonth(day);
  const year = day.slice(0, 4);
  // Hourly: the last 7 days; the diurnal profile: the last 31 days; daily bars: the last 31 days.
  const m = { from: addDays(day, -30), to: day };
  const hf = m.from, h7 = addDays(day, -6);
  const area = { [kind]: name };
  const [hourly, daily, yearly, stats, rank] = await Promise.all([
    api('/api/aqi/hourly', { ...area, from: hf, to: m.to, limit: 5000 }),
    api('/api/aqi/daily', { ...area, from: m.from, to: m.to }),
    api('/api/aqi/daily', { ...area, from: `${year}-01-01`, to: `${year}-12-31`, limit: 366 }),
    api('/api/stats', { ...area, period }),
    api('/api/rank', { level: kind, province, period, limit: 5000 }),
  ]);
  const pick = h('select', { 'data-testid': 'city-select', onchange: (e) => { location.hash = link('city', keepCommon(q), { city: e.target.value, county: null }); } },
    cities.items.map((r) => h('option', { value: r.city, selected: r.city === name && kind === 'city' }, r.city)));
  const perIn = h('input', { value: period, size: 10, 'aria-label': '统计时段', 'data-testid': 'period' });
  const go = h('button', { onclick: () => { location.hash = link('city', q, { period: perIn.value }); } }, '统计');
  const hEl = h('div', { class: 'chart', 'data-testid': 'hourly' });
  const dEl = h('div', { class: 'chart', 'data-testid': 'daily' });
  const cEl = h('div', { class: 'chart calendar', 'data-testid': 'calendar' });
  const pEl = h('div', { class: 'chart', 'data-testid': 'diurnal' });
  const out = [
    h('div', { class: 'toolbar' }, h('label', {}, '城市 ', pick), kind === 'county' ? h('span', {}, `区县：${name}`) : null, h('label', {}, '时段 ', perIn), go,
      h('span', { class: 'hint' }, '时段格式：2019、2019-01、2019-Q1 或 2019-01-01:2019-03-31')),
    h('h1', { 'data-testid': 'area-name' }, name),
    h('div', { class: 'grid two' },
      card([`逐时 AQI（${h7} 至 ${m.to}）`, exportLinks('hourly', '/api/aqi/hourly', { ...area, from: h7, to: m.to, limit: 5000 })], hEl),
      card([`逐日 AQI（${m.from} 至 ${m.to}）`, exportLinks('daily', '/api/aqi/daily', { ...area, from: m.from, to: m.to })], dEl)),
    h('div', { class: 'grid two' },
      card(`${year} 年逐日 AQI 日历`, cEl),
      card(`污染物日变化（${hf} 至 ${m.to} 各时次均值）`, pEl)),
    card(`统计（${stats.from} 至 ${stats.to}，${stats.days} 天，${stats.sites} 个站点）`, statsTable(stats)),
    card([`${province} ${kind === 'city' ? '城市' : '区县'}排名（${rank.from} 至 ${rank.to}，综合指数）`, exportLinks('rank', '/api/rank', { level: kind, province, period, limit: 5000 })], rankTable(rank, name, 'rank-table')),
  ];
  queueMicrotask(() => {
    const last7 = hourly.items.filter((r) => r.time.slice(0, 10) >= h7 && r.time !== `${h7} 00:00`);
    lineChart(hEl, last7.map((r) => r.time.slice(5, 16)), last7.map((r) => r.aqi), 'AQI', { dataZoom: [{ type: 'inside' }] });
    chart(dEl, {
      tooltip: { trigger: 'axis' }, grid: { left: 45, right: 15, top: 25, bottom: 30 },
      xAxis: { type: 'category', data: daily.items.map((r) => r.time.slice(5)) }, yAxis: { type: 'value', name: 'AQI' },
      series: [{ type: 'bar', data: daily.items.map((r) => ({ value: r.aqi, itemStyle: { color: aqiColour(r.aqi) } })) }],
    });
    chart(cEl, {
      tooltip: { formatter: (p) => `${p.value[0]}<br>AQI ${fmt(p.value[1])}` },
      visualMap: { type: 'piecewise', orient: 'horizontal', left: 'center', bottom: 0, itemWidth: 12, itemHeight: 12, textStyle: { fontSize: 11 },
        pieces: BANDS.map(([hi, c, n], i) => ({ gt: i ? BANDS[i - 1][0] : -1, lte: hi === Infinity ? 10000 : hi, color: c, label: n })) },
      calendar: { range: year, top: 30, left: 30, right: 10, bottom: 50, cellSize: ['auto', 'auto'], dayLabel: { nameMap: 'ZH', firstDay: 1 }, monthLabel: { nameMap: 'ZH' }, yearLabel: { show: false } },
      series: [{ type: 'heatmap', coordinateSystem: 'calendar', data: yearly.items.filter((r) => r.aqi !== null).map((r) => [r.time, r.aqi]) }],
    });
    const hours = [...Array(24).keys()];
    const series = POLS.filter((p) => p !== 'CO').map((p) => ({ type: 'line', name: p, showSymbol: false, data: diurnal(hourly.items, p) }));
    chart(pEl, {
      tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 45, right: 15, top: 35, bottom: 30 },
      xAxis: { type: 'category', data: hours.map((x) => `${x}时`) }, yAxis: { type: 'value', name: 'µg/m³' }, series,
    });
  });
  return out;
}
// Mean concentration per hour of day (the hour a value ends at), one decimal; null when none.
export function diurnal(items, pol) {
  const sum = new Array(24).fill(0), n = new Array(24).fill(0);
  for (const r of items) {
    const v = r[pol];
    if (v === null || v === undefined) continue;
    const hr = Number(r.time.slice(11, 13));
    sum[hr] += v; n[hr]++;
  }
  return sum.map((s, i) => (n[i] ? Math.round((s / n[i]) * 10) / 10 : null));
}
const POL_NAMES = { SO2: 'SO₂', NO2: 'NO₂', CO: 'CO', O3: 'O₃ 日最大 8 小时', PM10: 'PM₁₀', 'PM2.5': 'PM₂.₅' };
function statsTable(s) {
  const rows = Object.entries(s.pollutants || {}).map(([p, v]) => ({ p, ...v }));
  const summary = h('dl', { class: 'summary' },
    h('dt', {}, '综合指数'), h('dd', { 'data-testid': 'stats-index' }, fmt(s.index)),
    h('dt', {}, '有效天数'), h('dd', { 'data-testid': 'stats-aqi-days' }, fmt(s.aqi_days)),
    h('dt', {}, '优良天数'), h('dd', { 'data-testid': 'stats-good-days' }, fmt(s.good_days)),
    h('dt', {}, '优良率'), h('dd', {}, s.good_ratio === null || s.good_ratio === undefined ? '—' : `${s.good_ratio}%`),
    h('dt', {}, '重污染率'), h('dd', {}, s.heavy_ratio === null || s.heavy_ratio === undefined ? '—' : `${s.heavy_ratio}%`));
  return [summary, table([
    { t: '污染物', f: (r) => POL_NAMES[r.p] || r.p },
    { t: '均值', f: (r) => h('span', { 'data-testid': `stats-mean-${r.p}` }, `${fmt(r.mean)} ${UNITS[r.p] || 'µg/m³'}`) },
    { t: '有效天数', f: (r) => h('span', { 'data-testid': `stats-valid-${r.p}` }, fmt(r.valid_days)) },
    { t: '统计有效', f: (r) => (r.valid ? '是' : '否') },
    { t: '百分位数', f: (r) => (r.percentile ? `第 ${r.percentile} 百分位 ${fmt(r.percentile_value)}` : '—') },
    { t: '超标天数', f: (r) => fmt(r.exceed_days) },
    { t: '达标', f: (r) => (r.attained === null || r.attained === undefined ? '—' : r.attained ? '达标' : '超标') },
  ], rows, 'stats-table')];
}
function rankTable(rank, mark, testid) {
  return table([
    { t: '排名', f: (r) => fmt(r.rank) },
    { t: '地区', f: (r) => (r.area === mark ? h('b', {}, r.area) : r.area) },
    { t: '综合指数', f: (r) => fmt(r.index) },
    { t: 'PM2.5', f: (r) => fmt(r['PM2.5']) },
    { t: 'PM10', f: (r) => fmt(r.PM10) },
    { t: 'O3 第90百分位', f: (r) => fmt(r.O3_8h_p90) },
    { t: '优良率 %', f: (r) => fmt(r.good_ratio) },
    { t: '重污染率 %', f: (r) => fmt(r.heavy_ratio) },
  ], rank.items, testid);
}

// ---- 目标 Targets ---------------------------------------------------------------------------
const TARGET_NAMES = { 'PM2.5': 'PM2.5 年均浓度', PM10: 'PM10 年均浓度', good_ratio: '优良天数比例', good_days: '优良天数', heavy_ratio: '重污染天数比例', index: '综合指数' };
async function targets({ q, province, day }) {
  const health = await api('/api/health');
  const cities = await api('/api/aqi/latest', { province, level: 'city', limit: 5000, at: q.get('at') || undefined });
  const name = q.get('city') || '郑州';
  const asOf = q.get('as_of') || day;
  const pick = h('select', { 'data-testid': 'target-city', onchange: (e) => { location.hash = link('targets', q, { city: e.target.value }); } },
    (cities.items.length ? cities.items.map((r) => r.city) : [name]).map((c) => h('option', { value: c, selected: c === name }, c)));
  const toolbar = h('div', { class: 'toolbar' }, h('label', {}, '城市 ', pick), h('span', {}, `截至 ${asOf}`));
  // The store's target of the city and year, else the server's targets file (docs/API.md).
  let t;
  try {
    t = await api('/api/targets', { city: name, year: asOf.slice(0, 4), as_of: asOf });
  } catch (e) {
    if (e instanceof AuthError) throw e;
    return [toolbar, card('目标', h('p', { class: 'error' }, e.message),
      health.targets ? null : h('p', { class: 'small' }, '目标由 lantian target import 导入库中，或在启动服务时用 --targets FILE 指定。'))];
  }
  const gauges = t.items.map((it, i) => {
    const el = h('div', { class: 'chart gauge', 'data-testid': `gauge-${i}` });
    queueMicrotask(() => gauge(el, it));
    return h('div', { class: 'target' },
      h('h3', {}, TARGET_NAMES[it.target] || it.target, ' ', h('span', { class: `state ${it.state}` }, it['状态'])),
      el,
      h('p', { class: 'sentence', 'data-testid': `target-sentence-${i}` }, it['说明']),
      h('p', { class: 'small' }, `目标 ${it.goal}；当前 ${fmt(it.current)}；剩余预算 ${fmt(it.budget)}`));
  });
  return [toolbar,
    h('h1', { 'data-testid': 'target-title' }, t.target),
    h('p', {}, `${t.year} 年已过 ${t.days_elapsed} 天，剩余 `, h('b', { 'data-testid': 'days-remaining' }, t.days_remaining), ' 天（规则 ', t.ruleset, '）。',
      exportLinks('targets', '/api/targets', { city: name, year: asOf.slice(0, 4), as_of: asOf, config: health.targets })),
    h('div', { class: 'grid three' }, gauges)];
}
function gauge(el, it) {
  const goal = Number(String(it.goal).replace(/[^0-9.]/g, ''));
  const cur = it.current ?? 0;
  const higherBetter = String(it.goal).startsWith('>');
  const max = Math.max(goal * 2, cur * 1.1, 1);
  const ok = higherBetter ? cur >= goal : cur <= goal;
  const col = ok ? '#2e9d3a' : it.state === 'unreachable' ? '#7E0023' : '#e8590c';
  chart(el, {
    series: [{
      type: 'gauge', min: 0, max: Math.ceil(max), radius: '95%', center: ['50%', '62%'], startAngle: 200, endAngle: -20,
      axisLine: { lineStyle: { width: 14, color: higherBetter ? [[goal / max, '#f3c4c4'], [1, '#cde8c8']] : [[goal / max, '#cde8c8'], [1, '#f3c4c4']] } },
      progress: { show: true, width: 14, itemStyle: { color: col } },
      splitNumber: 4, pointer: { show: false }, axisTick: { show: false }, splitLine: { length: 6, distance: 2 }, axisLabel: { distance: 22, fontSize: 12 },
      detail: { valueAnimation: false, fontSize: 30, fontWeight: 700, offsetCenter: [0, '5%'], formatter: () => `${fmt(it.current)}` },
      title: { offsetCenter: [0, '40%'], fontSize: 14 },
      data: [{ value: cur, name: `目标 ${it.goal}` }],
    }],
  });
}

// ---- 公众 Public ----------------------------------------------------------------------------
async function publicPage({ q, province, hour, day }) {
  const at = atParam(hour);
  const month = defaultMonth(day);
  const [latest, cities, rank] = await Promise.all([
    api('/api/aqi/latest', { province, at, limit: 5000 }),
    api('/api/aqi/latest', { province, level: 'city', at, limit: 5000 }),
    api('/api/rank', { level: 'city', province, period: month, limit: 5000 }),
  ]);
  // Station positions come with the public real-time AQI (no login needed).
  const pos = new Map(latest.items.filter((s) => s.lon !== null && s.lat !== null).map((s) => [s.code, s]));
  const sites = pos.size ? latest : null;
  const mapEl = h('div', { class: 'chart tall', 'data-testid': 'public-map' });
  queueMicrotask(() => sites && chart(mapEl, {
    tooltip: { formatter: (p) => `${p.name}<br>AQI ${fmt(p.value[2])}` },
    grid: { left: 50, right: 20, top: 30, bottom: 40 },
    xAxis: { type: 'value', name: '经度', scale: true, nameLocation: 'middle', nameGap: 25 },
    yAxis: { type: 'value', name: '纬度', scale: true },
    series: [{ type: 'scatter', symbolSize: 11, data: latest.items.filter((r) => pos.has(r.code)).map((r) => ({ value: [pos.get(r.code).lon, pos.get(r.code).lat, r.aqi], name: `${r.city} ${r.name}`, itemStyle: { color: r.aqi === null ? '#BBBBBB' : r.rgb } })) }],
  }));
  const tiles = h('div', { class: 'tiles', 'data-testid': 'public-list' }, cities.items.map((r) => {
    const c = aqiColour(r.aqi);
    const dark = ['#FFFF00', '#00E400'].includes(c);
    return h('div', { class: 'tile', style: `background:${c};color:${dark ? '#222' : '#fff'}` },
      h('div', { class: 'tname' }, r.city),
      h('div', { class: 'tval', 'data-testid': `public-aqi-${r.city}` }, fmt(r.aqi)),
      h('div', { class: 'tcat' }, `${fmt(r.category)}${r.primary ? ` · ${r.primary}` : ''}`));
  }));
  return [
    h('h1', {}, `${province} 实时空气质量（${hour}）`),
    card('城市实时 AQI', tiles, legend()),
    h('div', { class: 'grid two' },
      card('站点分布', sites ? mapEl : needLogin('站点分布')),
      card([`${month} 月城市排名（综合指数，由好到差）`, exportLinks('public-rank', '/api/rank', { level: 'city', province, period: month, limit: 5000 })], rankTable(rank, null, 'public-rank'))),
  ];
}

// ---- 设备 Devices -------------------------------------------------------------------------
// A device is online when its last frame is within the last 2 hours (Beijing labels as the API
// gives them, "YYYY-MM-DD HH:MM").
const ONLINE_MS = 2 * 3600 * 1000;
export function isOnline(lastSeen, now = Date.now()) {
  if (!lastSeen) return false;
  const t = Date.parse(`${lastSeen.replace(' ', 'T')}${lastSeen.length <= 16 ? ':00' : ''}+08:00`);
  return Number.isFinite(t) && now - t <= ONLINE_MS;
}
// Errors by reason over the health rows' "reasons" ("crc:2 syntax:1"), summed per reason.
export function reasonTotals(items) {
  const sum = new Map();
  for (const r of items || []) for (const part of String(r.reasons || '').split(' ')) {
    const [k, n] = part.split(':');
    if (k && n) sum.set(k, (sum.get(k) || 0) + Number(n));
  }
  return [...sum].map(([k, n]) => `${k}:${n}`).join(' ');
}
const KINDS = ['air', 'cems', 'dust', 'voc', 'power'];
const KIND_NAMES = { air: '空气站', cems: 'CEMS', dust: '扬尘', voc: 'VOCs', power: '用电' };
// Run f over xs with at most n at a time (one health request per device).
async function mapLimit(xs, n, f) {
  const out = new Array(xs.length);
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, async () => { while (i < xs.length) { const k = i++; out[k] = await f(xs[k]); } }));
  return out;
}
async function devices() {
  // GET /api/me: {"user": {"name", "role", ...}}; a build without accounts has no /api/me and
  // every endpoint open (role taken as admin).
  const [me, list, exc] = await Promise.all([
    api('/api/me').catch((e) => { if (e instanceof AuthError) throw e; return null; }),
    api('/api/devices', { limit: 5000 }), api('/api/exceedances', { limit: 1000 })]);
  const role = me ? me.user?.role || '' : 'admin';
  const seeQ = role === 'admin' || role === 'enforcement';
  const quar = seeQ ? await api('/api/quarantine', { limit: 5000 }) : null;
  const health = await mapLimit(list.items, 8, (d) => api(`/api/devices/${encodeURIComponent(d.mn)}/health`).catch(() => null));
  const rows = list.items.map((d, i) => {
    const hh = health[i];
    const s = hh?.summary || {};
    // The summary's last seen, else the newest health row's hour.
    const last = s.last_seen || (hh?.items?.length ? hh.items[hh.items.length - 1].hour_start : null);
    return { ...d, last, frames: s.frames, errors: s.errors, reasons: reasonTotals(hh?.items), online: isOnline(last), range: hh ? `${hh.from} 至 ${hh.to}` : '' };
  });
  const nOn = rows.filter((r) => r.online).length;
  const range = rows.find((r) => r.range)?.range;
  const out = [
    h('h1', {}, '设备'),
    card([`设备（${list.total} 台，在线 ${nOn} 台${range ? `；帧数、错误为 ${range}` : ''}）`, exportLinks('devices', '/api/devices', { limit: 5000 })],
      h('p', { class: 'small' }, '在线：最近 2 小时内收到过数据帧。'),
      table([
        { t: 'MN', f: (r) => h('span', { 'data-testid': `dev-mn-${r.mn}` }, r.mn) },
        { t: '类型', f: (r) => h('span', { 'data-testid': `dev-kind-${r.mn}` }, r.kind) },
        { t: '站点 / 排口', f: (r) => h('span', { 'data-testid': `dev-place-${r.mn}` }, fmt(r.site ?? r.outlet)) },
        { t: '污染源类型', f: (r) => fmt(r.source_type) },
        { t: '启用', f: (r) => h('span', { 'data-testid': `dev-enabled-${r.mn}` }, r.enabled ? '是' : '否') },
        { t: '状态', f: (r) => h('span', { class: `status ${r.online ? 'on' : 'off'}`, 'data-testid': `dev-status-${r.mn}` }, r.online ? '在线' : '离线') },
        { t: '最后数据', f: (r) => h('span', { 'data-testid': `dev-last-${r.mn}` }, fmt(r.last)) },
        { t: '帧数', f: (r) => h('span', { 'data-testid': `dev-frames-${r.mn}` }, fmt(r.frames)) },
        { t: '错误', f: (r) => h('span', { 'data-testid': `dev-errors-${r.mn}` }, fmt(r.errors)) },
        { t: '错误原因', f: (r) => r.reasons || '—' },
      ], rows, 'device-list')),
  ];
  if (quar) {
    const admin = role === 'admin';
    out.push(card([`隔离区（未登记的 MN，${quar.total} 个）`, exportLinks('quarantine', '/api/quarantine', { limit: 5000 })],
      quar.items.length ? table([
        { t: 'MN', f: (r) => h('span', { 'data-testid': `q-mn-${r.mn}` }, r.mn) },
        { t: '首次出现', f: (r) => h('span', { 'data-testid': `q-first-${r.mn}` }, fmt(r.first_seen)) },
        { t: '最后出现', f: (r) => h('span', { 'data-testid': `q-last-${r.mn}` }, fmt(r.last_seen)) },
        { t: '帧数', f: (r) => h('span', { 'data-testid': `q-frames-${r.mn}` }, fmt(r.frames)) },
        { t: '最后来源', f: (r) => h('span', { 'data-testid': `q-peer-${r.mn}` }, fmt(r.last_peer)) },
        ...(admin ? [{ t: '操作', f: (r) => h('button', { type: 'button', 'data-testid': `adopt-${r.mn}`, onclick: (e) => openAdopt(e.target, r.mn) }, '领用') }] : []),
      ], quar.items, 'quarantine-list') : h('p', { class: 'small', 'data-testid': 'quarantine-empty' }, '隔离区为空。'),
      h('div', { id: 'adopt-slot' })));
  }
  out.push(card([`CEMS 超标（${exc.total} 条）`, exportLinks('exceedances', '/api/exceedances', { limit: 1000 })], exc.items.length ? table([
    { t: '时次', f: (r) => fmt(r.hour_start) },
    { t: 'MN', f: (r) => fmt(r.mn) },
    { t: '排口', f: (r) => fmt(r.outlet) },
    { t: '因子', f: (r) => fmt(r.factor) },
    { t: '实测', f: (r) => fmt(r.measured) },
    { t: 'O₂', f: (r) => fmt(r.o2) },
    { t: '基准 O₂', f: (r) => fmt(r.o2_ref) },
    { t: '折算', f: (r) => fmt(r.corrected) },
    { t: '限值', f: (r) => fmt(r.limit) },
    { t: '标记', f: (r) => fmt(r.flag) },
    { t: '规则', f: (r) => fmt(r.rule) },
  ], exc.items, 'exceedance-list') : h('p', { class: 'small', 'data-testid': 'exceedance-empty' }, '没有超标记录。')));
  return out;
}
// The adopt form (admins): kind, site (air) or outlet (the other kinds), optional password;
// POST /api/quarantine/{mn}/adopt, then the page is drawn again.
function openAdopt(btn, mn) {
  const slot = document.getElementById('adopt-slot');
  const kind = h('select', { name: 'kind' }, KINDS.map((k) => h('option', { value: k }, `${k} ${KIND_NAMES[k]}`)));
  const place = h('input', { name: 'place', required: true, size: 16 });
  const placeLabel = h('span', {}, '站点代码');
  const pw = h('input', { name: 'pw', type: 'password', maxlength: 15, autocomplete: 'new-password', size: 16 });
  const msg = h('p', { class: 'error', 'data-testid': 'adopt-error' });
  const sync = () => { placeLabel.textContent = kind.value === 'air' ? '站点代码' : '排口编号'; };
  kind.addEventListener('change', sync);
  const f = h('form', { class: 'adopt', 'data-testid': 'adopt-form', onsubmit: async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    const body = { kind: kind.value, [kind.value === 'air' ? 'site' : 'outlet']: place.value.trim() };
    if (pw.value) body.pw = pw.value;
    try {
      await apiPost(`/api/quarantine/${encodeURIComponent(mn)}/adopt`, body);
      render();
    } catch (e) {
      if (e instanceof AuthError) { document.getElementById('main').replaceChildren(loginForm()); return; }
      msg.textContent = e.message;
    }
  } },
  h('h3', {}, `领用 ${mn}`),
  h('label', {}, '类型', kind), h('label', {}, placeLabel, place), h('label', {}, '设备密码（可选）', pw),
  h('div', { class: 'row' }, h('button', { type: 'submit' }, '领用'), h('button', { type: 'button', class: 'plain', onclick: () => slot.replaceChildren() }, '取消')), msg);
  slot.replaceChildren(f);
  place.focus();
}

// ---- 审计日志 Audit log (admins) ------------------------------------------------------------
// The nav link shows for administrators only: the session's role from GET /api/me, asked once per
// token.
let meCache = { tok: null, user: null };
async function currentUser() {
  const tok = sessionStorage.getItem(TOKEN_KEY);
  if (!tok) return null;
  if (meCache.tok !== tok) {
    const me = await api('/api/me').catch(() => null);
    meCache = { tok, user: me?.user || null };
  }
  return meCache.user;
}
async function syncAdminNav() {
  const user = await currentUser();
  document.querySelectorAll('#nav a[data-admin]').forEach((a) => { a.hidden = user?.role !== 'admin'; });
}
const AUDIT_ACTIONS = {
  correction: '数据审核', dust_set: '标记沙尘天', dust_clear: '取消沙尘天', quarantine_adopt: '隔离区领用',
  site_add: '新增站点', site_edit: '修改站点', device_add: '登记设备', device_edit: '修改设备',
  device_factor: '因子映射', target_set: '修改目标', target_import: '导入目标', user_add: '新增用户',
  user_disable: '停用用户', import_cnemc: '导入监测数据', simulate_register: '模拟设备登记',
};
const AUDIT_PAGE = 50;
// What changed between the objects before and after (the log's JSON, flat objects): one entry per
// member whose value differs — "changed" when both have it, "added" / "removed" when only the
// object after / before has it (a created object has only "added" members, a quarantine entry
// adopted as a device "removed" ones for the entry and "added" ones for the device).
export function auditDiff(before, after) {
  const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
  const b = isObj(before) ? before : {};
  const a = isObj(after) ? after : {};
  const out = [];
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    const inB = Object.hasOwn(b, k), inA = Object.hasOwn(a, k);
    if (inB && inA && JSON.stringify(b[k]) === JSON.stringify(a[k])) continue;
    out.push({ key: k, kind: inB && inA ? 'changed' : inA ? 'added' : 'removed', before: b[k], after: a[k] });
  }
  return out;
}
const auditVal = (v) => (v === null || v === undefined ? '（无）' : v === '' ? '（空）' : typeof v === 'string' ? v : JSON.stringify(v));
function auditChanges(r) {
  const d = auditDiff(r.before, r.after);
  const list = h('ul', { class: 'diff', 'data-testid': `audit-diff-${r.id}` }, d.map((c) => h('li', { 'data-key': c.key, class: c.kind },
    h('code', {}, c.key), ' ',
    c.kind !== 'added' ? h('del', {}, auditVal(c.before)) : null, c.kind === 'changed' ? ' → ' : null,
    c.kind !== 'removed' ? h('ins', {}, auditVal(c.after)) : null)));
  const raw = h('details', {}, h('summary', {}, '原始记录'),
    h('pre', {}, `修改前 ${JSON.stringify(r.before, null, 1)}\n修改后 ${JSON.stringify(r.after, null, 1)}`));
  return h('div', {}, d.length ? list : h('span', { class: 'small' }, '无变化'), raw);
}
async function auditPage({ q }) {
  const user = await currentUser();
  if (!user) throw new AuthError('需要登录');
  if (user.role !== 'admin') {
    return [h('h1', {}, '审计日志'), card('审计日志', h('p', { class: 'error', 'data-testid': 'audit-forbidden' }, '审计日志仅管理员可查看。'))];
  }
  const pageNo = Math.max(1, Number(q.get('page')) || 1);
  const action = q.get('action') || '';
  const who = q.get('user') || '';
  const r = await api('/api/audit', { limit: AUDIT_PAGE, offset: (pageNo - 1) * AUDIT_PAGE, action, user: who });
  const pages = Math.max(1, Math.ceil(r.total / AUDIT_PAGE));
  const actSel = h('select', { name: 'action', 'data-testid': 'audit-action' }, h('option', { value: '' }, '全部操作'),
    Object.entries(AUDIT_ACTIONS).map(([k, t]) => h('option', { value: k, selected: k === action }, `${t}（${k}）`)));
  const userIn = h('input', { name: 'user', value: who, placeholder: '用户（如 admin、cli:root）', size: 18, 'data-testid': 'audit-user' });
  const filters = h('form', { class: 'toolbar', 'data-testid': 'audit-filter', onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = link('audit', keepCommon(q), { action: actSel.value || null, user: userIn.value.trim() || null });
  } }, h('label', {}, '操作 ', actSel), h('label', {}, '用户 ', userIn), h('button', { type: 'submit' }, '筛选'),
  action || who ? h('a', { href: link('audit', keepCommon(q)) }, '清除筛选') : null);
  const go = (n) => link('audit', keepCommon(q), { action: action || null, user: who || null, page: n > 1 ? String(n) : null });
  // The pager above the table (with test ids) and, for long pages, again below it.
  const pager = (top) => h('div', { class: 'pager', 'data-testid': top && 'audit-pager' },
    pageNo > 1 ? h('a', { href: go(pageNo - 1), 'data-testid': top && 'audit-prev' }, '上一页') : h('span', { class: 'small' }, '上一页'),
    h('span', { 'data-testid': top && 'audit-page' }, `第 ${pageNo} / ${pages} 页，共 ${r.total} 条`),
    pageNo < pages ? h('a', { href: go(pageNo + 1), 'data-testid': top && 'audit-next' }, '下一页') : h('span', { class: 'small' }, '下一页'));
  return [h('h1', {}, '审计日志'),
    card('审计日志（最新在前；只增不改）', filters, pager(true),
      r.items.length ? h('div', { class: 'tablewrap audit' }, h('table', { 'data-testid': 'audit-list' },
        h('thead', {}, h('tr', {}, ['时间', '用户', '操作', '对象', '变更（修改前 → 修改后）'].map((c) => h('th', {}, c)))),
        h('tbody', {}, r.items.map((x) => h('tr', { 'data-testid': `audit-row-${x.id}` },
          h('td', { 'data-testid': `audit-at-${x.id}` }, x.at),
          h('td', { 'data-testid': `audit-user-${x.id}` }, x.user),
          h('td', { 'data-testid': `audit-action-${x.id}`, title: x.action }, AUDIT_ACTIONS[x.action] || x.action),
          h('td', { 'data-testid': `audit-object-${x.id}` }, x.object),
          h('td', { class: 'changes' }, auditChanges(x)))))))
        : h('p', { class: 'small', 'data-testid': 'audit-empty' }, '没有符合条件的记录。'),
      r.items.length > 10 ? pager(false) : null)];
}

render();
