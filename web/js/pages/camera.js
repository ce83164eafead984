// #/camera/ID: one camera — its live view with the objects in view, its numbers, the
// zones and masks editor over its latest frame, and its recent events.
import {api, query} from '../api.js';
import {open_camera_dialog} from '../components/camera_dialog.js';
import {event_card} from '../components/event_card.js';
import {LiveView} from '../components/live_view.js';
import {status_badge} from '../components/status_badge.js';
import {ZoneEditor} from '../components/zone_editor.js';
import {color_for, debounce, fmt_number, h, mount} from '../dom.js';
import {icon} from '../icons.js';
import {live} from '../live.js';
import {store} from '../store.js';

import {open_event_detail} from './event_detail.js';

const kRecentEvents = 8;

function stats_rows(s) {
  const live_now = s?.state === 'live';
  const dash = (v, f) => (live_now && Number.isFinite(v) ? f(v) : '–');
  const row = (label, value, name) => [h('dt', label), h('dd', {dataset: {stat: name}}, value)];
  return [
    ...row(
        'Resolution', s?.width ? `${s.width}×${s.height}${s.codec ? ` · ${s.codec}` : ''}` : '–',
        'resolution'),
    ...row('Input', dash(s?.input_fps, (v) => `${fmt_number(v, 1)} fps`), 'input_fps'),
    ...row('Processed', dash(s?.processed_fps, (v) => `${fmt_number(v, 1)} fps`), 'processed_fps'),
    ...row(
        'Latency p50 / p95',
        live_now ? `${fmt_number(s.latency_p50_ms, 0)} / ${fmt_number(s.latency_p95_ms, 0)} ms` : '–',
        'latency'),
    ...row('Tiles per frame', dash(s?.tiles_per_frame, (v) => fmt_number(v, 2)), 'tiles'),
    ...row('Frames decoded', (s?.frames_decoded ?? 0).toLocaleString(), 'decoded'),
    ...row('Frames dropped', (s?.frames_dropped ?? 0).toLocaleString(), 'dropped'),
    ...row('Reconnects', String(s?.reconnects ?? 0), 'reconnects'),
    ...row('Events opened', String(s?.events_opened ?? 0), 'events'),
  ];
}

export function render(root, params) {
  const id = params.id;
  let view = null;
  let editor = null;
  let disposed = false;
  const header_badge = h('span');
  const title = h('h1');
  const stats = h('dl.stat-list');
  const error_box = h('div.status-error', {hidden: true});
  const objects = h('ul.object-list', {dataset: {camera: id}});
  const objects_count = h('span.count', '0');
  const recent = h('div.event-grid.compact');
  const view_slot = h('div.camera-live');
  const editor_slot = h('div');
  const tiles_toggle =
      h('input', {type: 'checkbox', checked: localStorage.getItem('tilescope.show_tiles') === '1'});
  tiles_toggle.addEventListener('change', () => {
    localStorage.setItem('tilescope.show_tiles', tiles_toggle.checked ? '1' : '0');
    if (view) view.show_tiles = tiles_toggle.checked;
  });
  const edit_button = h('button.btn.btn-secondary', {type: 'button'}, icon('edit', 16), 'Edit');

  mount(root, h('div.loading', h('div.spinner'), 'Loading camera…'));

  function render_objects(list) {
    objects_count.textContent = String(list.length);
    if (!list.length) {
      objects.replaceChildren(h('li.object-empty', 'Nothing in view'));
      return;
    }
    objects.replaceChildren(
        ...[...list]
            .sort((a, b) => b.score - a.score)
            .map(
                (o) => h(
                    'li.object-row',
                    {dataset: {label: o.label, track: o.id}},
                    h('span.chip-dot', {style: {'--chip': color_for(o.label)}}),
                    h('span.object-label', o.label),
                    h('span.object-id', `#${o.id}`),
                    h('span.score-bar',
                      h('span',
                        {style: {width: `${Math.round(o.score * 100)}%`, '--chip': color_for(o.label)}})),
                    h('span.object-score', `${Math.round(o.score * 100)}%`),
                    ),
                ),
    );
  }

  function update_status(camera) {
    view?.set_status(camera.status);
    mount(header_badge, status_badge(camera.status));
    mount(stats, stats_rows(camera.status));
    const err = camera.status?.last_error;
    error_box.hidden = !err || camera.status?.state === 'live';
    mount(error_box, icon('alert', 16), h('div', h('b', 'Last error'), h('div', err || '')));
  }

  async function load_recent() {
    try {
      const r = await api.get(`/api/v1/events${query({camera: id, limit: kRecentEvents})}`);
      if (disposed) return;
      const events = r.events || [];
      const open = (ev) => open_event_detail({event: ev, list: events, on_deleted: load_recent});
      if (events.length) {
        mount(recent, events.map((e) => event_card(e, open)));
      } else {
        mount(recent, h('div.muted.recent-empty', 'No events from this camera yet.'));
      }
    } catch (e) {
      recent.replaceChildren(h('div.muted', e.message));
    }
  }
  const load_recent_later = debounce(load_recent, 1000);

  function build(camera) {
    title.textContent = camera.name;
    edit_button.onclick = () => open_camera_dialog({
      camera: store.cameras.get(id) || camera,
      on_saved: (c) => (title.textContent = c.name),
      on_deleted: () => (location.hash = '#/cameras'),
    });
    view =
        new LiveView(camera, {mode: 'mjpeg', show_tiles: tiles_toggle.checked, on_objects: render_objects});
    const fullscreen =
        h('button.icon-btn.live-fullscreen', {
          type: 'button',
          'aria-label': 'Full screen',
          title: 'Full screen',
          onclick: () =>
              document.fullscreenElement ? document.exitFullscreen() : view_slot.requestFullscreen(),
        },
          icon('expand', 18));
    view_slot.replaceChildren(view.el, fullscreen);
    view.start();
    editor = new ZoneEditor(camera);
    editor_slot.replaceChildren(editor.el);
    update_status(camera);
    render_objects([]);
    mount(
        root,
        h(
            'header.page-header',
            h(
                'div',
                h('nav.breadcrumb', h('a', {href: '#/cameras'}, 'Cameras'), icon('chevron_right', 14),
                  h('span', camera.name)),
                h('div.title-row', title, header_badge),
                ),
            h(
                'div.page-actions',
                h('label.switch.switch-small', {title: 'Outline the tiles the detector ran on each frame'},
                  tiles_toggle, h('span.switch-track'), h('span', 'Show tiles')),
                edit_button,
                ),
            ),
        h(
            'div.camera-layout',
            h('section.panel.live-panel', view_slot),
            h(
                'aside.camera-side',
                h('section.panel.objects-panel', h('h2.panel-title', 'In view', objects_count), objects),
                h('section.panel', h('h2.panel-title', 'Stream'), error_box, stats),
                ),
            ),
        h(
            'section.panel.zones-panel',
            h('div.panel-head', h('h2.panel-title', 'Zones & masks'),
              h('p.panel-sub',
                'Zones name areas that events report; masks hide areas from detection. Coordinates are kept relative to the frame.')),
            editor_slot,
            ),
        h(
            'section.panel',
            h('div.panel-head', h('h2.panel-title', 'Recent events'),
              h('a.link', {href: `#/events?camera=${id}`}, 'All events', icon('chevron_right', 14))),
            recent,
            ),
    );
    load_recent();
  }

  const on_status = () => {
    const camera = store.cameras.get(id);
    if (camera) update_status(camera);
  };
  const on_event = (e) => {
    if (e.detail.event?.camera_id === id) load_recent_later();
  };
  const on_unload = (e) => {
    if (editor?.dirty) e.preventDefault();
  };
  store.addEventListener('status', on_status);
  store.addEventListener('event', on_event);
  window.addEventListener('beforeunload', on_unload);
  live.subscribe([id]);

  api.get(`/api/v1/cameras/${id}`)
      .then((camera) => {
        if (disposed) return;
        store.put(camera);
        build(camera);
      })
      .catch((e) => {
        if (disposed) return;
        mount(
            root,
            h(
                'div.empty-state.wide',
                icon('alert', 32),
                h('h2', e.status === 404 ? 'Camera not found' : 'The camera could not be loaded'),
                h('p', e.status === 404 ? 'It may have been removed.' : e.message),
                h('a.btn.btn-secondary', {href: '#/cameras'}, 'Back to cameras'),
                ),
        );
      });

  return () => {
    disposed = true;
    view?.stop();
    editor?.dispose();
    store.removeEventListener('status', on_status);
    store.removeEventListener('event', on_event);
    window.removeEventListener('beforeunload', on_unload);
  };
}
