// How an event looks in lists: a card with its snapshot, class, camera, time, zones.
import {with_token} from '../api.js';
import {color_for, fmt_duration, fmt_time, h} from '../dom.js';
import {icon} from '../icons.js';

export function event_duration(event) {
  const end = event.end_ms ?? event.updated_ms ?? Date.now();
  return fmt_duration(end - event.start_ms);
}

export function label_chip(label, score) {
  return h(
      'span.label-chip',
      {style: {'--chip': color_for(label)}},
      h('span.chip-dot'),
      label,
      score !== undefined ? h('span.label-score', `${Math.round(score * 100)}%`) : null,
  );
}

export function is_ongoing(event) {
  return event.end_ms === null || event.end_ms === undefined;
}

export function snapshot_url(event) {
  return with_token(event.snapshot_url || `/api/v1/events/${event.id}/snapshot.jpg`);
}

// The part of the frame around the object, at `aspect`, in frame pixels: the box with
// room around it, at least a quarter of the frame, kept inside the frame. null when the
// event has no box or the part would be (nearly) the whole frame.
export function subject_region(event, aspect = 4 / 3) {
  const [fw, fh] = event.frame || [];
  const [x1, y1, x2, y2] = event.box || [];
  if (!(fw > 0 && fh > 0) || event.box?.length !== 4) return null;
  let w = Math.max((x2 - x1) * 2.2, fw * 0.25);
  let hgt = Math.max((y2 - y1) * 1.6, fh * 0.25);
  if (w / hgt < aspect)
    w = hgt * aspect;
  else
    hgt = w / aspect;
  if (w > fw) [w, hgt] = [fw, fw / aspect];
  if (hgt > fh) [w, hgt] = [fh * aspect, fh];
  if (w * hgt > 0.8 * fw * fh) return null;
  const x = Math.min(Math.max((x1 + x2) / 2 - w / 2, 0), fw - w);
  const y = Math.min(Math.max((y1 + y2) / 2 - hgt / 2, 0), fh - hgt);
  return {x, y, w, h: hgt, fw, fh};
}

// The snapshot cropped to the object (CSS only: the <img> is the whole JPEG, scaled and
// shifted inside a clipping box), or the whole frame when there is no useful crop.
export function subject_image(event, {lazy = true} = {}) {
  const img = h('img.subject-img', {src: snapshot_url(event), alt: `${event.label} on ${event.camera}`});
  if (lazy) img.loading = 'lazy';
  const r = subject_region(event);
  if (r) {
    Object.assign(img.style, {
      width: `${(r.fw / r.w) * 100}%`,
      height: `${(r.fh / r.h) * 100}%`,
      left: `${(-r.x / r.w) * 100}%`,
      top: `${(-r.y / r.h) * 100}%`,
    });
    img.classList.add('cropped');
  }
  return h('div.subject', img);
}

export function event_card(event, on_open) {
  const snapshot =
      event.has_snapshot === false ? h('div.media-missing', icon('camera', 22)) : subject_image(event);
  const corner = is_ongoing(event) ? h('span.badge.badge-live.thumb-badge', h('span.badge-dot'), 'Ongoing') :
                                     h('span.thumb-duration', event_duration(event));
  return h(
      'button.event-card',
      {type: 'button', dataset: {event: event.id}, onclick: () => on_open(event)},
      h('div.event-thumb', snapshot, corner),
      h(
          'div.event-meta',
          h('div.event-meta-top', label_chip(event.label, event.score),
            h('span.event-time', fmt_time(event.start_ms))),
          h('div.event-camera', icon('camera', 14), event.camera),
          event.zones?.length ? h('div.zone-chips', event.zones.map((z) => h('span.zone-chip', z))) : null,
          ),
  );
}
