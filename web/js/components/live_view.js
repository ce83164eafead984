// A camera's live picture: the server's MJPEG stream (boxes and track ids already
// drawn), a canvas on top for what the WebSocket says (the tiles that ran, on demand),
// and the list of objects in view.
//
//   const view = new LiveView(camera, { mode: 'mjpeg' });   // or 'poll' (snapshots, 1/s)
//   parent.append(view.el); view.start(); ... view.stop();
//
// stop() must be called when the view goes away: an <img> streaming MJPEG holds one of
// the browser's six connections to the server until its src is cleared.
import {with_token} from '../api.js';
import {color_for, h} from '../dom.js';
import {live} from '../live.js';

const kRetryMs = 3000;
const kStallMs = 8000;  // no picture this long while frames are reported: a new request
const kPollMs = 1000;
const kStaleMs = 2500;  // objects older than this are no longer "in view"

export class LiveView {
  constructor(camera, {mode = 'mjpeg', show_tiles = false, on_objects = null} = {}) {
    this.camera_ = camera;
    this.mode_ = mode;
    this.show_tiles_ = show_tiles;
    this.on_objects_ = on_objects;
    this.frame_ = null;
    this.timers_ = [];
    this.unsubscribe_ = null;
    this.running_ = false;
    this.loaded_at_ = 0;

    this.img_ = h('img.live-img', {alt: `${camera.name} live view`, dataset: {camera: camera.id}});
    this.canvas_ = h('canvas.live-overlay');
    this.placeholder_text_ = h('span', 'Waiting for video…');
    this.placeholder_ = h('div.live-placeholder', h('div.spinner'), this.placeholder_text_);
    this.chips_ = h('div.live-objects', {dataset: {camera: camera.id}});
    this.el = h('div.live-view', this.img_, this.canvas_, this.placeholder_, this.chips_);
    this.set_aspect_(camera.status?.width, camera.status?.height);
    this.set_status(camera.status);

    this.img_.addEventListener('load', () => this.on_load_());
    this.img_.addEventListener('error', () => this.on_error_());
    this.resize_ = new ResizeObserver(() => this.draw_());
    this.resize_.observe(this.el);
  }

  // What the placeholder says while there is no picture.
  set_status(status) {
    const state = status?.state || 'connecting';
    this.el.dataset.state = state;
    this.placeholder_text_.textContent = {
      connecting: 'Connecting to the camera…',
      retrying: 'Camera offline — reconnecting…',
      ended: 'The stream ended',
      stopped: 'Stopped',
      disabled: 'Detection is off for this camera',
    }[state] ||
        'Waiting for video…';
  }

  get img() {
    return this.img_;
  }

  start() {
    if (this.running_) return;
    this.running_ = true;
    this.load_();
    const off_frame = live.on('frame', (msg) => {
      if (msg.camera_id === this.camera_.id) this.on_frame_(msg);
    });
    // A server restart ends the MJPEG response, and Chrome then keeps showing the last
    // picture without an error event: a new stream whenever the push channel comes back.
    let was_down = false;
    const off_state = live.on('state', (state) => {
      if (state !== 'open')
        was_down = true;
      else if (was_down) {
        was_down = false;
        this.load_();
      }
    });
    this.unsubscribe_ = () => (off_frame(), off_state());
    this.timers_.push(setInterval(() => this.tick_(), 1000));
  }

  stop() {
    this.running_ = false;
    this.img_.removeAttribute('src');
    this.img_.src = '';  // ends the MJPEG request
    this.timers_.forEach(clearInterval);
    this.timers_.forEach(clearTimeout);
    this.timers_ = [];
    this.unsubscribe_?.();
    this.resize_.disconnect();
  }

  set show_tiles(value) {
    this.show_tiles_ = value;
    this.draw_();
  }

  load_() {
    if (!this.running_) return;
    const base = `/api/v1/cameras/${this.camera_.id}`;
    const url = this.mode_ === 'mjpeg' ? `${base}/mjpeg?t=${Date.now()}` :
                                         `${base}/snapshot.jpg?annotated=1&t=${Date.now()}`;
    this.loaded_at_ = Date.now();
    this.img_.src = with_token(url);
  }

  on_load_() {
    if (!this.running_) return;
    this.el.classList.add('has-video');
    this.set_aspect_(this.img_.naturalWidth, this.img_.naturalHeight);
    if (this.mode_ === 'poll') this.timers_.push(setTimeout(() => this.load_(), kPollMs));
  }

  on_error_() {
    if (!this.running_) return;
    this.el.classList.remove('has-video');
    this.timers_.push(setTimeout(() => this.load_(), kRetryMs));
  }

  set_aspect_(width, height) {
    if (width > 0 && height > 0) this.el.style.aspectRatio = `${width} / ${height}`;
  }

  on_frame_(msg) {
    this.frame_ = {...msg, received: Date.now()};
    this.render_objects_();
    this.draw_();
  }

  tick_() {
    const now = Date.now();
    // Frames arrive on the WebSocket but the picture does not: the stream request failed
    // or hangs (the error retry did not bring it back), so ask again.
    const frames_flowing = this.frame_ && now - this.frame_.received < kStaleMs;
    if (this.mode_ === 'mjpeg' && frames_flowing && !this.el.classList.contains('has-video') &&
        now - this.loaded_at_ > kStallMs) {
      this.load_();
    }
    if (this.frame_ && now - this.frame_.received > kStaleMs) {
      this.frame_ = null;
      this.render_objects_();
      this.draw_();
    }
  }

  render_objects_() {
    const objects = this.frame_?.objects || [];
    const counts = new Map();
    for (const o of objects) counts.set(o.label, (counts.get(o.label) || 0) + 1);
    this.chips_.replaceChildren(
        ...[...counts].map(
            ([label, n]) => h(
                'span.object-chip',
                {dataset: {label}, style: {'--chip': color_for(label)}},
                h('span.chip-dot'),
                n > 1 ? `${n} × ${label}` : label,
                ),
            ),
    );
    this.on_objects_?.(objects, this.frame_);
  }

  // The tiles that ran on the last frame, in frame pixels, scaled to the element.
  draw_() {
    const canvas = this.canvas_;
    const rect = this.el.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(rect.width * dpr));
    const hgt = Math.max(1, Math.round(rect.height * dpr));
    if (canvas.width !== w || canvas.height !== hgt) {
      canvas.width = w;
      canvas.height = hgt;
    }
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, w, hgt);
    const f = this.frame_;
    if (!this.show_tiles_ || !f || !f.width || !f.height) return;
    // The picture is letterboxed (object-fit: contain): map frame pixels to where it is.
    const scale = Math.min(w / f.width, hgt / f.height);
    const ox = (w - f.width * scale) / 2;
    const oy = (hgt - f.height * scale) / 2;
    const rect_of =
        ([x1, y1, x2, y2]) => [ox + x1 * scale, oy + y1 * scale, (x2 - x1) * scale, (y2 - y1) * scale];
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.strokeStyle = 'rgba(250, 204, 21, 0.9)';
    ctx.fillStyle = 'rgba(250, 204, 21, 0.07)';
    for (const tile of f.tiles || []) {
      ctx.fillRect(...rect_of(tile));
      ctx.strokeRect(...rect_of(tile));
    }
    if (f.full_frame) {
      const inset = ctx.lineWidth;
      ctx.setLineDash([]);
      ctx.strokeStyle = 'rgba(76, 141, 255, 0.9)';
      ctx.strokeRect(ox + inset, oy + inset, f.width * scale - 2 * inset, f.height * scale - 2 * inset);
    }
  }
}
