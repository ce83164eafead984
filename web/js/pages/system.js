// #/system: the process (version, uptime, memory, storage, model) and per-camera
// charts of processed fps, latency and tiles per frame over a rolling window. The
// history is kept by store.js from the moment the UI loads, so the charts are already
// filled when this page opens.
import {api} from '../api.js';
import {LineChart} from '../components/line_chart.js';
import {status_badge} from '../components/status_badge.js';
import {fmt_bytes, fmt_duration, fmt_number, h, mount} from '../dom.js';
import {icon} from '../icons.js';
import {live} from '../live.js';
import {kHistoryWindowMs, store} from '../store.js';

const kRefreshMs = 5000;
const kSeriesColors =
    ['#4c8dff', '#22c55e', '#f59e0b', '#ec4899', '#14b8a6', '#a855f7', '#f97316', '#06b6d4'];

function tile(icon_name, label, value, sub, name) {
  return h(
      'div.metric-tile',
      {dataset: {metric: name}},
      h('div.metric-icon', icon(icon_name, 18)),
      h('div.metric-body', h('div.metric-label', label), h('div.metric-value', {title: value}, value),
        sub ? h('div.metric-sub', {title: sub}, sub) : null),
  );
}

// "/models/yolo/best.onnx" -> "best.onnx"; "(default: NanoDet-m ...)" stays whole.
function model_name(path) {
  const text = String(path || '');
  if (!text.startsWith('/')) return text || 'default';
  return text.split('/').filter(Boolean).pop();
}

export function render(root) {
  const tiles = h('div.metric-grid');
  const fps_chart = new LineChart({unit: 'fps', window_ms: kHistoryWindowMs, digits: 1, min_max: 5});
  const latency_chart = new LineChart({unit: 'ms', window_ms: kHistoryWindowMs, digits: 0, min_max: 100});
  const tiles_chart = new LineChart({unit: 'tiles', window_ms: kHistoryWindowMs, digits: 2, min_max: 2});
  const table_body = h('tbody');
  let system = null;

  const chart_panel = (title, sub, chart, name) =>
      h('section.panel.chart-panel', {dataset: {chart: name}},
        h('div.panel-head', h('h2.panel-title', title), h('p.panel-sub', sub)), chart.el);

  mount(
      root,
      h('header.page-header',
        h('div', h('h1', 'System'), h('p.page-subtitle', 'Health of this tilescope server and its cameras'))),
      tiles,
      h(
          'div.chart-grid',
          chart_panel(
              'Processed frames per second', 'Per camera; dashed: frames arriving from the source', fps_chart,
              'fps'),
          chart_panel(
              'Detection latency', 'Frame arrival to detections; solid p50, dashed p95', latency_chart,
              'latency'),
          chart_panel(
              'Tiles per frame', 'Views the detector ran per processed frame (motion and track gated)',
              tiles_chart, 'tiles'),
          ),
      h(
          'section.panel',
          h('div.panel-head', h('h2.panel-title', 'Cameras')),
          h(
              'div.table-wrap',
              h(
                  'table.data-table',
                  h(
                      'thead',
                      h(
                          'tr',
                          [
                            'Camera', 'State', 'Input fps', 'Processed fps', 'Dropped', 'Tiles / frame',
                            'p50 ms', 'p95 ms', 'Reconnects'
                          ].map((t) => h('th', t)),
                          ),
                      ),
                  table_body,
                  ),
              ),
          ),
  );

  function render_tiles() {
    const cameras = store.list();
    const n_live = cameras.filter((c) => c.status?.state === 'live').length;
    const s = system || {};
    tiles.replaceChildren(
        tile(
            'clock', 'Uptime', s.uptime_s !== undefined ? fmt_duration(s.uptime_s * 1000) : '–',
            s.version ? `version ${s.version}` : '', 'uptime'),
        tile(
            'memory', 'Memory', s.memory_mb !== undefined ? `${fmt_number(s.memory_mb, 0)} MB` : '–',
            'resident set size', 'memory'),
        tile(
            'database', 'Storage', s.storage ? fmt_bytes(s.storage.bytes) : '–',
            s.storage ? `${(s.storage.events ?? 0).toLocaleString()} events · ${s.storage.path}` : '',
            'storage'),
        tile(
            'cpu', 'Model', s.model ? model_name(s.model.path) : '–',
            s.model ? `${s.model.input?.join('×') || '?'} input · ${s.model.classes} classes` : '', 'model'),
        tile('camera', 'Cameras', `${n_live} / ${cameras.length}`, 'live / configured', 'cameras'),
    );
  }

  function render_charts() {
    const cameras = store.list();
    const fps = [];
    const latency = [];
    const tiles_series = [];
    cameras.forEach((c, i) => {
      const color = kSeriesColors[i % kSeriesColors.length];
      const history = store.history.get(c.id) || [];
      fps.push({name: c.name, color, points: history.map((p) => [p.t, p.processed_fps])});
      fps.push({name: `${c.name} in`, color, dashed: true, points: history.map((p) => [p.t, p.input_fps])});
      latency.push({name: `${c.name} p50`, color, points: history.map((p) => [p.t, p.latency_p50_ms])});
      latency.push(
          {name: `${c.name} p95`, color, dashed: true, points: history.map((p) => [p.t, p.latency_p95_ms])});
      tiles_series.push({name: c.name, color, points: history.map((p) => [p.t, p.tiles_per_frame])});
    });
    fps_chart.set_series(fps);
    latency_chart.set_series(latency);
    tiles_chart.set_series(tiles_series);
  }

  function render_table() {
    const cameras = store.list();
    if (!cameras.length) {
      table_body.replaceChildren(h('tr', h('td.muted', {colspan: 9}, 'No cameras')));
      return;
    }
    table_body.replaceChildren(
        ...cameras.map((c) => {
          const s = c.status || {};
          return h(
              'tr',
              h('td', h('a', {href: `#/camera/${c.id}`}, c.name)),
              h('td', status_badge(s)),
              h('td.num', fmt_number(s.input_fps, 1)),
              h('td.num', fmt_number(s.processed_fps, 1)),
              h('td.num', (s.frames_dropped ?? 0).toLocaleString()),
              h('td.num', fmt_number(s.tiles_per_frame, 2)),
              h('td.num', fmt_number(s.latency_p50_ms, 0)),
              h('td.num', fmt_number(s.latency_p95_ms, 0)),
              h('td.num', String(s.reconnects ?? 0)),
          );
        }),
    );
  }

  async function load_system() {
    try {
      system = await api.get('/api/v1/system');
    } catch {
      /* shown as dashes; the next refresh retries */
    }
    render_tiles();
  }

  const on_status = () => {
    render_charts();
    render_table();
    render_tiles();
  };
  const redraw = () => [fps_chart, latency_chart, tiles_chart].forEach((c) => c.draw());
  store.addEventListener('status', on_status);
  store.addEventListener('cameras', on_status);
  window.addEventListener('tilescope:theme', redraw);
  live.subscribe([]);
  const timer = setInterval(load_system, kRefreshMs);
  // The time axis moves even between status messages.
  const tick = setInterval(redraw, 1000);
  store.refresh().catch(() => {});
  load_system();
  on_status();

  return () => {
    clearInterval(timer);
    clearInterval(tick);
    store.removeEventListener('status', on_status);
    store.removeEventListener('cameras', on_status);
    window.removeEventListener('tilescope:theme', redraw);
    [fps_chart, latency_chart, tiles_chart].forEach((c) => c.dispose());
  };
}
