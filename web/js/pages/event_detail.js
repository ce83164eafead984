// One event in a dialog: its best snapshot (box drawn by the server) and its details,
// with delete. Left/right arrows step through the list it was opened from.
import {api} from '../api.js';
import {event_duration, is_ongoing, label_chip, snapshot_url, subject_image, subject_region} from '../components/event_card.js';
import {confirm_dialog, open_modal} from '../components/modal.js';
import {toast} from '../components/toast.js';
import {fmt_datetime, h} from '../dom.js';
import {icon} from '../icons.js';

// Opens the dialog for `event` (an Event or an id). `list` (events) and `index` enable
// stepping; `on_close` and `on_deleted(id)` report back.
export async function open_event_detail({event, list = [], on_close, on_deleted, on_step}) {
  let current = event;
  if (typeof current === 'number') {
    try {
      current = await api.get(`/api/v1/events/${current}`);
    } catch (e) {
      toast(e.status === 404 ? 'That event no longer exists' : e.message, 'error');
      on_close?.();
      return null;
    }
  }

  const media = h('div.event-media');
  const details = h('dl.event-facts');
  const subject = h('div.event-subject');
  const title = h('span');
  const prev =
      h('button.icon-btn', {type: 'button', 'aria-label': 'Previous event', onclick: () => step(-1)},
        icon('chevron_left'));
  const next =
      h('button.icon-btn', {type: 'button', 'aria-label': 'Next event', onclick: () => step(1)},
        icon('chevron_right'));
  const download = h('a.btn.btn-ghost', {download: ''}, icon('external', 16), 'Open image');
  const camera_link = h('a.btn.btn-secondary', {}, icon('camera', 16), 'Go to camera');

  function fact(label, value) {
    return [h('dt', label), h('dd', value)];
  }

  function show(e) {
    current = e;
    title.replaceChildren(`${e.label.charAt(0).toUpperCase()}${e.label.slice(1)} on ${e.camera}`);
    const snapshot = snapshot_url(e);
    subject.replaceChildren();
    if (e.has_snapshot !== false) {
      if (subject_region(e)) subject.replaceChildren(subject_image(e, {lazy: false}));
      const img = h('img.event-snapshot', {src: snapshot, alt: `Snapshot of event ${e.id}`});
      img.addEventListener(
          'error',
          () => media.replaceChildren(h('div.media-missing', icon('camera', 28), 'Snapshot not available')));
      media.replaceChildren(img);
      download.href = snapshot;
      download.target = '_blank';
      download.hidden = false;
    } else {
      media.replaceChildren(
          h('div.media-missing', icon('camera', 28), 'No snapshot was kept for this event'));
      download.hidden = true;
    }
    const box = e.box || [];
    details.replaceChildren(
        ...fact('Object', label_chip(e.label, e.score)),
        ...fact('Camera', h('a', {href: `#/camera/${e.camera_id}`}, e.camera)),
        ...fact('Started', fmt_datetime(e.start_ms)),
        ...fact(
            'Ended',
            is_ongoing(e) ? h('span.badge.badge-live', h('span.badge-dot'), 'In progress') :
                            fmt_datetime(e.end_ms)),
        ...fact('Duration', event_duration(e)),
        ...fact(
            'Zones',
            e.zones?.length ? h('span.zone-chips', e.zones.map((z) => h('span.zone-chip', z))) :
                              h('span.muted', 'none')),
        ...fact('Track', h('span.mono', `#${e.track_id}`)),
        ...fact('Best score', h('span.mono', `${(e.score * 100).toFixed(1)} %`)),
        ...fact(
            'Box',
            box.length === 4 ? h('span.mono',
                                 `${Math.round(box[2] - box[0])}×${Math.round(box[3] - box[1])} px at (${
                                     Math.round(box[0])}, ${Math.round(box[1])})${
                                     e.frame ? ` in ${e.frame[0]}×${e.frame[1]}` : ''}`) :
                               '–',
            ),
        ...fact('Event id', h('span.mono', String(e.id))),
    );
    camera_link.href = `#/camera/${e.camera_id}`;
    const i = list.findIndex((x) => x.id === e.id);
    prev.disabled = i <= 0;
    next.disabled = i < 0 || i >= list.length - 1;
  }

  function step(delta) {
    const i = list.findIndex((x) => x.id === current.id);
    const target = list[i + delta];
    if (!target) return;
    show(target);
    on_step?.(target);
  }

  async function remove() {
    const ok = await confirm_dialog({
      title: 'Delete this event?',
      message: `The ${current.label} event on ${current.camera} and its snapshot are deleted for good.`,
      confirm: 'Delete event',
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/events/${current.id}`);
      toast('Event deleted');
      const id = current.id;
      modal.close();
      on_deleted?.(id);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  const on_key = (e) => {
    if (e.key === 'ArrowLeft')
      step(-1);
    else if (e.key === 'ArrowRight')
      step(1);
  };
  document.addEventListener('keydown', on_key);

  const modal = open_modal({
    title: h('span.event-title', title, h('span.event-nav', prev, next)),
    body: h('div.event-detail', media, h('div.event-side', subject, details)),
    wide: true,
    class_name: 'event-dialog',
    footer: [
      h('button.btn.btn-danger-ghost', {type: 'button', onclick: remove}, icon('trash', 16), 'Delete'),
      h('div.spacer'),
      download,
      camera_link,
    ],
    on_close: () => {
      document.removeEventListener('keydown', on_key);
      on_close?.();
    },
  });
  camera_link.addEventListener('click', () => modal.close());
  show(current);
  return modal;
}
