// What the pages share: the camera list with live statuses, a rolling history of
// those statuses for the charts, and the count of events not yet seen.
//
// Statuses arrive on the WebSocket every 2 s; while it is down, /api/v1/cameras is
// polled instead, so the grid and the charts keep moving either way.
import {api} from './api.js';
import {live} from './live.js';

const kHistoryMs = 10 * 60 * 1000;  // the charts' window
const kPollMs = 3000;

class Store extends EventTarget {
  constructor() {
    super();
    this.cameras = new Map();  // id -> Camera (config JSON + id + status)
    this.history =
        new Map();  // id -> [{t, processed_fps, input_fps, latency_p50_ms, latency_p95_ms, tiles_per_frame}]
    this.classes = [];
    this.unseen_events = 0;
    this.poll_timer_ = 0;
    this.loaded_ = null;
  }

  start() {
    live.on('status', (msg) => this.apply_statuses_(msg.cameras || []));
    live.on('event', (msg) => {
      if (msg.kind === 'opened') {
        this.unseen_events++;
        this.emit_('unseen');
      }
      this.dispatchEvent(new CustomEvent('event', {detail: msg}));
    });
    this.poll_timer_ = setInterval(() => {
      if (live.state !== 'open' && !document.hidden) this.refresh().catch(() => {});
    }, kPollMs);
  }

  // The first load (shared by the pages that need cameras before they render).
  ready() {
    if (!this.loaded_) this.loaded_ = this.refresh();
    return this.loaded_;
  }

  async refresh() {
    const {cameras} = await api.get('/api/v1/cameras');
    const seen = new Set();
    for (const camera of cameras) {
      seen.add(camera.id);
      this.cameras.set(camera.id, camera);
      this.record_(camera.id, camera.status);
    }
    for (const id of [...this.cameras.keys()])
      if (!seen.has(id)) this.cameras.delete(id);
    this.emit_('cameras');
    return this.list();
  }

  async load_classes() {
    if (!this.classes.length) this.classes = (await api.get('/api/v1/classes')).classes || [];
    return this.classes;
  }

  list() {
    return [...this.cameras.values()].sort((a, b) => a.id - b.id);
  }

  put(camera) {
    this.cameras.set(camera.id, camera);
    this.emit_('cameras');
  }

  remove(id) {
    this.cameras.delete(id);
    this.history.delete(id);
    this.emit_('cameras');
  }

  mark_events_seen() {
    this.unseen_events = 0;
    this.emit_('unseen');
  }

  apply_statuses_(entries) {
    let unknown = false;
    for (const {id, status} of entries) {
      const camera = this.cameras.get(id);
      if (camera)
        camera.status = status;
      else
        unknown = true;
      this.record_(id, status);
    }
    this.emit_('status');
    if (unknown) this.refresh().catch(() => {});  // a camera added elsewhere
  }

  record_(id, status) {
    if (!status) return;
    const now = Date.now();
    const series = this.history.get(id) || [];
    const last = series[series.length - 1];
    if (last && now - last.t < 1000) return;  // a poll right after a push
    series.push({
      t: now,
      processed_fps: status.processed_fps ?? 0,
      input_fps: status.input_fps ?? 0,
      latency_p50_ms: status.latency_p50_ms ?? 0,
      latency_p95_ms: status.latency_p95_ms ?? 0,
      tiles_per_frame: status.tiles_per_frame ?? 0,
    });
    while (series.length && now - series[0].t > kHistoryMs) series.shift();
    this.history.set(id, series);
  }

  emit_(name) {
    this.dispatchEvent(new Event(name));
  }
}

export const store = new Store();
export const kHistoryWindowMs = kHistoryMs;
