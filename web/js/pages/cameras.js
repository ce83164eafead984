// #/cameras: every camera as a card with its live view, state, fps and tiles/frame.
//
// Up to kMaxStreams cards stream MJPEG; beyond that, cards refresh a snapshot once a
// second, because each MJPEG stream holds one of the browser's six HTTP/1.1
// connections to the server and the API calls need some too.
import {open_camera_dialog} from '../components/camera_dialog.js';
import {LiveView} from '../components/live_view.js';
import {status_badge, status_reason} from '../components/status_badge.js';
import {fmt_number, h, mount} from '../dom.js';
import {icon} from '../icons.js';
import {live} from '../live.js';
import {store} from '../store.js';

const kMaxStreams = 4;
const kTilesKey = 'tilescope.show_tiles';

function stats_line(status) {
  const live_now = status?.state === 'live';
  const stat = (label, value, unit, name) =>
      h('div.stat', {dataset: {stat: name}}, h('span.stat-value', value, unit ? h('small', unit) : null),
        h('span.stat-label', label));
  return h(
      'div.card-stats',
      stat('processed', live_now ? fmt_number(status.processed_fps, 1) : '–', 'fps', 'fps'),
      stat('tiles / frame', live_now ? fmt_number(status.tiles_per_frame, 1) : '–', '', 'tiles'),
      stat('latency p50', live_now ? fmt_number(status.latency_p50_ms, 0) : '–', 'ms', 'latency'),
      stat('events', status?.events_opened ?? 0, '', 'events'),
  );
}

class CameraCard {
  constructor(camera, mode, show_tiles) {
    this.camera = camera;
    this.view = new LiveView(camera, {mode, show_tiles});
    this.badge_slot = h('div.card-badge');
    this.stats_slot = h('div');
    this.reason = h('div.card-reason');
    const edit = h(
        'button.icon-btn',
        {
          type: 'button',
          'aria-label': `Edit ${camera.name}`,
          title: 'Edit camera',
          onclick: (e) => {
            e.preventDefault();
            open_camera_dialog({camera: store.cameras.get(camera.id) || camera});
          },
        },
        icon('edit', 16),
    );
    this.el = h(
        'article.camera-card',
        {dataset: {camera: camera.id, name: camera.name}},
        h('a.card-media', {href: `#/camera/${camera.id}`, 'aria-label': `Open ${camera.name}`}, this.view.el,
          this.reason),
        h(
            'div.card-body',
            h('div.card-title-row', h('a.card-title', {href: `#/camera/${camera.id}`}, camera.name),
              this.badge_slot, edit),
            this.stats_slot,
            ),
    );
    this.update(camera);
    this.view.start();
  }

  update(camera) {
    this.camera = camera;
    mount(this.badge_slot, status_badge(camera.status));
    mount(this.stats_slot, stats_line(camera.status));
    const reason = status_reason(camera.status);
    this.reason.textContent = reason;
    this.reason.hidden = !reason;
    this.el.dataset.state = camera.status?.state || 'connecting';
    this.view.set_status(camera.status);
  }

  dispose() {
    this.view.stop();
  }
}

export function render(root) {
  const cards = new Map();
  let show_tiles = localStorage.getItem(kTilesKey) === '1';
  const grid = h('div.camera-grid');
  const summary = h('p.page-subtitle');
  const tiles_toggle = h('input', {type: 'checkbox', checked: show_tiles});
  tiles_toggle.addEventListener('change', () => {
    show_tiles = tiles_toggle.checked;
    localStorage.setItem(kTilesKey, show_tiles ? '1' : '0');
    for (const card of cards.values()) card.view.show_tiles = show_tiles;
  });
  const add_button = h(
      'button.btn.btn-primary',
      {
        type: 'button',
        onclick: () => open_camera_dialog({on_saved: (c) => (location.hash = `#/camera/${c.id}`)})
      },
      icon('plus', 16),
      'Add camera',
  );

  mount(
      root,
      h(
          'header.page-header',
          h('div', h('h1', 'Cameras'), summary),
          h(
              'div.page-actions',
              h('label.switch.switch-small', {title: 'Outline the tiles the detector ran on each frame'},
                tiles_toggle, h('span.switch-track'), h('span', 'Show tiles')),
              add_button,
              ),
          ),
      grid,
  );

  function sync() {
    const cameras = store.list();
    const mode = cameras.length > kMaxStreams ? 'poll' : 'mjpeg';
    for (const [id, card] of cards) {
      if (!store.cameras.has(id) || card.mode !== mode) {
        card.dispose();
        card.el.remove();
        cards.delete(id);
      }
    }
    cameras.forEach((camera) => {
      let card = cards.get(camera.id);
      if (!card) {
        card = new CameraCard(camera, mode, show_tiles);
        card.mode = mode;
        cards.set(camera.id, card);
      } else {
        card.update(camera);
      }
      grid.append(card.el);  // keeps id order
    });
    const n_live = cameras.filter((c) => c.status?.state === 'live').length;
    summary.textContent =
        cameras.length ? `${cameras.length} camera${cameras.length === 1 ? '' : 's'} · ${n_live} live` : '';
    if (!cameras.length) {
      mount(
          grid,
          h(
              'div.empty-state.wide',
              h('div.empty-icon', icon('camera', 32)),
              h('h2', 'No cameras yet'),
              h('p', 'Add an RTSP, HTTP or file source to start detecting.'),
              h('button.btn.btn-primary', {type: 'button', onclick: () => add_button.click()},
                icon('plus', 16), 'Add camera'),
              ),
      );
    } else {
      grid.querySelector('.empty-state')?.remove();
    }
    live.subscribe(cameras.map((c) => c.id));
  }

  function update_statuses() {
    for (const [id, card] of cards) {
      const camera = store.cameras.get(id);
      if (camera) card.update(camera);
    }
    const cameras = store.list();
    const n_live = cameras.filter((c) => c.status?.state === 'live').length;
    if (cameras.length)
      summary.textContent = `${cameras.length} camera${cameras.length === 1 ? '' : 's'} · ${n_live} live`;
  }

  store.addEventListener('cameras', sync);
  store.addEventListener('status', update_statuses);
  grid.append(h('div.loading', h('div.spinner'), 'Loading cameras…'));
  store.refresh()
      .then(() => grid.querySelector('.loading')?.remove())
      .catch(
          (e) => mount(
              grid,
              h('div.empty-state.wide', icon('alert', 32), h('h2', 'Cameras could not be loaded'),
                h('p', e.message))));

  return () => {
    store.removeEventListener('cameras', sync);
    store.removeEventListener('status', update_statuses);
    for (const card of cards.values()) card.dispose();
  };
}
