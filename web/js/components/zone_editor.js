// The zones and masks of a camera, drawn over its latest frame and editable.
//
//   const editor = new ZoneEditor(camera, { on_saved });
//   parent.append(editor.el); ... editor.dispose();
//
// Draw: pick "Zone" or "Mask", click the corners, then click the first corner (or press
// Enter, or "Finish") to close the polygon. Edit: drag a corner or the whole shape;
// double-click a corner to remove it, double-click an edge to add one; Delete removes
// the selected shape. Points are kept normalised to 0..1 of the frame (as the API and
// the config hold them), so they survive a change of stream resolution. Save sends the
// camera back with PUT; its password comes back as "***", which the server keeps.
import {api, with_token} from '../api.js';
import {h, mount} from '../dom.js';
import {icon} from '../icons.js';
import {store} from '../store.js';

import {toast} from './toast.js';

const kZoneName = /^[A-Za-z0-9_-]+$/;
const kCloseDistancePx = 12;
const kZoneColors = ['#4c8dff', '#22c55e', '#f59e0b', '#ec4899', '#14b8a6', '#a855f7'];
const kMaskColor = '#ef4444';

function round4(v) {
  return Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
}

function centroid(points) {
  const n = points.length || 1;
  return points.reduce(([sx, sy], [x, y]) => [sx + x / n, sy + y / n], [0, 0]);
}

// Distance from p to the segment a-b, and where along it (0..1), in pixels.
function segment_distance(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy || 1;
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

export class ZoneEditor {
  constructor(camera, {on_saved} = {}) {
    this.camera_ = camera;
    this.on_saved_ = on_saved;
    this.zones_ = structuredClone(camera.zones || []);
    this.masks_ = structuredClone(camera.masks || []);
    this.saved_json_ = this.json_();
    this.mode_ = 'select';  // select | zone | mask
    this.draft_ = null;     // points of the polygon being drawn
    this.cursor_ = null;
    this.selected_ = null;  // {kind: 'zone'|'mask', index}
    this.drag_ = null;
    this.timers_ = [];

    this.img_ = h('img.zone-frame', {alt: `Latest frame of ${camera.name}`, draggable: 'false'});
    this.svg_ = h('svg.zone-svg', {viewBox: '0 0 100 100', preserveAspectRatio: 'none'});
    this.handles_ = h('div.zone-handles');
    this.empty_ = h('div.zone-empty', h('div.spinner'), h('span', 'Waiting for a frame from the camera…'));
    this.stage_ = h('div.zone-stage', {tabindex: 0}, this.img_, this.svg_, this.handles_, this.empty_);
    const w = camera.status?.width || 4;
    const hgt = camera.status?.height || 3;
    this.stage_.style.aspectRatio = `${w} / ${hgt}`;

    this.tools_ = h('div.segmented', {role: 'toolbar', 'aria-label': 'Zone tools'});
    this.hint_ = h('div.zone-hint');
    this.list_ = h('div.zone-list');
    this.error_ = h('div.form-error', {role: 'alert', hidden: true});
    this.save_ = h('button.btn.btn-primary', {type: 'button', onclick: () => this.save()}, 'Save zones');
    this.revert_ =
        h('button.btn.btn-ghost', {type: 'button', onclick: () => this.revert_changes_()}, 'Revert');
    this.finish_ = h(
        'button.btn.btn-secondary.btn-small',
        {type: 'button', onclick: () => this.finish_draft_()},
        icon('check', 14),
        'Finish shape',
    );

    this.el = h(
        'div.zone-editor',
        h(
            'div.zone-stage-wrap',
            h(
                'div.zone-toolbar',
                this.tools_,
                this.finish_,
                h('div.spacer'),
                h(
                    'button.btn.btn-ghost.btn-small',
                    {type: 'button', onclick: () => this.load_frame_(), title: 'Load the latest frame'},
                    icon('refresh', 14),
                    'New frame',
                    ),
                ),
            this.stage_,
            ),
        h(
            'aside.zone-panel',
            this.hint_,
            this.list_,
            this.error_,
            h('div.zone-actions', this.revert_, this.save_),
            ),
    );

    this.bind_();
    this.load_frame_();
    this.render();
  }

  dispose() {
    this.timers_.forEach(clearTimeout);
    document.removeEventListener('keydown', this.on_key_);
  }

  get dirty() {
    return this.json_() !== this.saved_json_;
  }

  json_() {
    return JSON.stringify({zones: this.zones_, masks: this.masks_});
  }

  load_frame_() {
    this.img_.onload = () => {
      this.stage_.classList.add('has-frame');
      this.stage_.style.aspectRatio = `${this.img_.naturalWidth} / ${this.img_.naturalHeight}`;
    };
    this.img_.onerror = () => {
      this.stage_.classList.remove('has-frame');
      this.timers_.push(setTimeout(() => this.load_frame_(), 3000));
    };
    this.img_.src = with_token(`/api/v1/cameras/${this.camera_.id}/snapshot.jpg?t=${Date.now()}`);
  }

  // Pointer position in normalised frame coordinates.
  point_(e) {
    const r = this.stage_.getBoundingClientRect();
    return [round4((e.clientX - r.left) / r.width), round4((e.clientY - r.top) / r.height)];
  }

  to_px_(p) {
    const r = this.stage_.getBoundingClientRect();
    return [p[0] * r.width, p[1] * r.height];
  }

  shape_(sel) {
    if (!sel) return null;
    return sel.kind === 'zone' ? this.zones_[sel.index]?.points : this.masks_[sel.index];
  }

  bind_() {
    this.stage_.addEventListener('pointerdown', (e) => this.on_pointer_down_(e));
    this.stage_.addEventListener('pointermove', (e) => this.on_pointer_move_(e));
    this.stage_.addEventListener('pointerup', () => this.end_drag_());
    this.stage_.addEventListener('pointercancel', () => this.end_drag_());
    this.stage_.addEventListener('pointerleave', () => {
      this.cursor_ = null;
      if (this.draft_) this.render_stage_();
    });
    this.stage_.addEventListener('dblclick', (e) => this.on_double_click_(e));
    this.on_key_ = (e) => {
      if (!this.el.isConnected || e.target.matches('input, textarea, select')) return;
      if (this.draft_ && e.key === 'Enter')
        this.finish_draft_();
      else if (this.draft_ && e.key === 'Escape')
        this.cancel_draft_();
      else if (this.draft_ && e.key === 'Backspace') {
        this.draft_.pop();
        this.render();
      } else if (!this.draft_ && this.selected_ && (e.key === 'Delete' || e.key === 'Backspace')) {
        this.delete_(this.selected_);
      } else
        return;
      e.preventDefault();
    };
    document.addEventListener('keydown', this.on_key_);
  }

  on_pointer_down_(e) {
    if (e.button !== 0) return;
    const p = this.point_(e);
    if (this.mode_ !== 'select') {
      if (!this.draft_) this.draft_ = [];
      const first = this.draft_[0];
      if (first && this.draft_.length >= 3) {
        const [fx, fy] = this.to_px_(first);
        const [px, py] = this.to_px_(p);
        if (Math.hypot(fx - px, fy - py) <= kCloseDistancePx) {
          this.finish_draft_();
          return;
        }
      }
      this.draft_.push(p);
      this.render();
      return;
    }
    const handle = e.target.closest('.zone-handle');
    const shape_el = e.target.closest('[data-kind]');
    if (handle) {
      this.selected_ = {kind: handle.dataset.kind, index: Number(handle.dataset.index)};
      this.drag_ = {type: 'vertex', vertex: Number(handle.dataset.vertex)};
    } else if (shape_el) {
      this.selected_ = {kind: shape_el.dataset.kind, index: Number(shape_el.dataset.index)};
      this.drag_ = {type: 'shape', from: p, original: structuredClone(this.shape_(this.selected_))};
    } else {
      this.selected_ = null;
    }
    if (this.drag_) this.stage_.setPointerCapture(e.pointerId);
    this.render();
  }

  on_pointer_move_(e) {
    const p = this.point_(e);
    if (this.draft_) {
      this.cursor_ = p;
      this.render_stage_();
      return;
    }
    if (!this.drag_ || !this.selected_) return;
    const shape = this.shape_(this.selected_);
    if (this.drag_.type === 'vertex') {
      shape[this.drag_.vertex] = p;
    } else {
      const {original, from} = this.drag_;
      // Move the whole shape, clamped so no corner leaves the frame.
      let dx = p[0] - from[0];
      let dy = p[1] - from[1];
      for (const [x, y] of original) {
        dx = Math.min(Math.max(dx, -x), 1 - x);
        dy = Math.min(Math.max(dy, -y), 1 - y);
      }
      original.forEach(([x, y], i) => (shape[i] = [round4(x + dx), round4(y + dy)]));
    }
    this.drag_.moved = true;
    this.render_stage_();
  }

  end_drag_() {
    if (!this.drag_) return;
    const moved = this.drag_.moved;
    this.drag_ = null;
    if (moved) this.render();
  }

  on_double_click_(e) {
    if (this.draft_ || this.mode_ !== 'select') return;
    const handle = e.target.closest('.zone-handle');
    if (handle) {
      const sel = {kind: handle.dataset.kind, index: Number(handle.dataset.index)};
      const shape = this.shape_(sel);
      if (shape.length > 3) shape.splice(Number(handle.dataset.vertex), 1);
      this.render();
      return;
    }
    // On an edge of the selected shape: a new corner there.
    const shape = this.shape_(this.selected_);
    if (!shape) return;
    const p = this.point_(e);
    const px = this.to_px_(p);
    let best = {d: Infinity, i: -1};
    shape.forEach((a, i) => {
      const d = segment_distance(px, this.to_px_(a), this.to_px_(shape[(i + 1) % shape.length]));
      if (d < best.d) best = {d, i};
    });
    if (best.d <= kCloseDistancePx) {
      shape.splice(best.i + 1, 0, p);
      this.render();
    }
  }

  set_mode_(mode) {
    if (this.draft_) this.cancel_draft_();
    this.mode_ = mode;
    this.selected_ = null;
    this.render();
    this.stage_.focus();
  }

  finish_draft_() {
    if (!this.draft_ || this.draft_.length < 3) return;
    if (this.mode_ === 'zone') {
      let n = this.zones_.length + 1;
      while (this.zones_.some((z) => z.name === `zone-${n}`)) n++;
      this.zones_.push({name: `zone-${n}`, points: this.draft_});
      this.selected_ = {kind: 'zone', index: this.zones_.length - 1};
    } else {
      this.masks_.push(this.draft_);
      this.selected_ = {kind: 'mask', index: this.masks_.length - 1};
    }
    this.draft_ = null;
    this.mode_ = 'select';
    this.render();
    if (this.selected_.kind === 'zone') {
      const input = this.list_.querySelector(`input[data-index="${this.selected_.index}"]`);
      input?.focus();
      input?.select();
    }
  }

  cancel_draft_() {
    this.draft_ = null;
    this.mode_ = 'select';
    this.render();
  }

  delete_(sel) {
    if (sel.kind === 'zone')
      this.zones_.splice(sel.index, 1);
    else
      this.masks_.splice(sel.index, 1);
    this.selected_ = null;
    this.render();
  }

  revert_changes_() {
    const saved = JSON.parse(this.saved_json_);
    this.zones_ = saved.zones;
    this.masks_ = saved.masks;
    this.draft_ = null;
    this.selected_ = null;
    this.mode_ = 'select';
    this.error_.hidden = true;
    this.render();
  }

  validate_() {
    const problems = [];
    const seen = new Set();
    this.zones_.forEach((z, i) => {
      if (!kZoneName.test(z.name))
        problems.push(`Zone ${i + 1}: the name may use letters, digits, - and _ only`);
      else if (seen.has(z.name))
        problems.push(`Zone ${i + 1}: "${z.name}" is used twice`);
      seen.add(z.name);
    });
    return problems;
  }

  async save() {
    const problems = this.validate_();
    if (problems.length) return this.show_errors_(problems);
    this.error_.hidden = true;
    this.save_.disabled = true;
    try {
      const fresh = await api.get(`/api/v1/cameras/${this.camera_.id}`);
      const body = {...fresh, zones: this.zones_, masks: this.masks_};
      delete body.id;
      delete body.status;
      const saved = await api.put(`/api/v1/cameras/${this.camera_.id}`, body);
      this.camera_ = saved;
      this.zones_ = structuredClone(saved.zones || []);
      this.masks_ = structuredClone(saved.masks || []);
      this.saved_json_ = this.json_();
      store.put(saved);
      toast('Zones saved');
      this.on_saved_?.(saved);
    } catch (e) {
      this.show_errors_(e.issues?.length ? e.issues.map((i) => `${i.path}: ${i.message}`) : [e.message]);
    } finally {
      this.save_.disabled = false;
      this.render();
    }
  }

  show_errors_(lines) {
    this.error_.hidden = false;
    this.error_.replaceChildren(icon('alert', 16), h('div', lines.map((l) => h('div', l))));
  }

  render() {
    this.render_tools_();
    this.render_stage_();
    this.render_list_();
    this.save_.disabled = !this.dirty;
    this.revert_.disabled = !this.dirty;
    this.el.classList.toggle('dirty', this.dirty);
  }

  render_tools_() {
    const tool = (mode, label, name) => h(
        'button.segment',
        {
          type: 'button',
          class: this.mode_ === mode ? 'active' : '',
          'aria-pressed': String(this.mode_ === mode),
          onclick: () => this.set_mode_(mode),
        },
        icon(name, 15),
        label,
    );
    this.tools_.replaceChildren(
        tool('select', 'Select', 'pointer'),
        tool('zone', 'Draw zone', 'polygon'),
        tool('mask', 'Draw mask', 'mask'),
    );
    this.finish_.hidden = !this.draft_;
    this.finish_.disabled = !this.draft_ || this.draft_.length < 3;
    this.stage_.dataset.mode = this.mode_;
    const n = this.draft_?.length || 0;
    if (this.mode_ === 'select') {
      this.hint_.textContent = 'Drag a corner or a shape to move it. Double-click an edge to add a corner, ' +
          'a corner to remove it. Delete removes the selected shape.';
    } else if (n < 3) {
      const so_far = n ? ` (${n} so far, at least 3)` : '';
      this.hint_.textContent = `Click the corners of the ${this.mode_}${so_far}. Esc cancels.`;
    } else {
      this.hint_.textContent = 'Click the first corner, press Enter or "Finish shape" to close it.';
    }
  }

  render_stage_() {
    const poly = (points, attrs) => h('polygon', {
      points: points.map(([x, y]) => `${x * 100},${y * 100}`).join(' '),
      'vector-effect': 'non-scaling-stroke',
      ...attrs
    });
    const is_sel = (kind, index) => this.selected_?.kind === kind && this.selected_.index === index;
    const shapes = [];
    const labels = [];
    this.masks_.forEach((points, i) => {
      shapes.push(poly(points, {
        class: `mask-shape${is_sel('mask', i) ? ' selected' : ''}`,
        dataset: {kind: 'mask', index: i},
        style: {'--c': kMaskColor}
      }));
      const [cx, cy] = centroid(points);
      labels.push(
          h('div.zone-label.mask-label', {style: {left: `${cx * 100}%`, top: `${cy * 100}%`}}, 'mask'));
    });
    this.zones_.forEach((zone, i) => {
      const color = kZoneColors[i % kZoneColors.length];
      shapes.push(poly(zone.points, {
        class: `zone-shape${is_sel('zone', i) ? ' selected' : ''}`,
        dataset: {kind: 'zone', index: i},
        style: {'--c': color}
      }));
      const [cx, cy] = centroid(zone.points);
      labels.push(
          h('div.zone-label', {style: {left: `${cx * 100}%`, top: `${cy * 100}%`, '--c': color}}, zone.name));
    });
    if (this.draft_?.length) {
      const pts = this.cursor_ ? [...this.draft_, this.cursor_] : this.draft_;
      shapes.push(
          h('polyline', {
            class: 'draft-shape',
            points: pts.map(([x, y]) => `${x * 100},${y * 100}`).join(' '),
            'vector-effect': 'non-scaling-stroke',
          }),
      );
    }
    this.svg_.replaceChildren(...shapes);

    const handles = [];
    const sel_shape = this.shape_(this.selected_);
    if (sel_shape && !this.draft_) {
      sel_shape.forEach(
          ([x, y], v) => handles.push(
              h('div.zone-handle', {
                style: {left: `${x * 100}%`, top: `${y * 100}%`},
                dataset: {kind: this.selected_.kind, index: this.selected_.index, vertex: v},
              }),
              ),
      );
    }
    (this.draft_ || [])
        .forEach(
            ([x, y], v) => handles.push(h('div.zone-handle.draft', {
              class: v === 0 && this.draft_.length >= 3 ? 'closable' : '',
              style: {left: `${x * 100}%`, top: `${y * 100}%`}
            })),
        );
    this.handles_.replaceChildren(...labels, ...handles);
  }

  render_list_() {
    const row = (kind, index, label_el, color) => h(
        'div.zone-row',
        {
          class: this.selected_?.kind === kind && this.selected_.index === index ? 'selected' : '',
          dataset: {kind, index},
          onclick: (e) => {
            if (e.target.closest('button')) return;
            this.selected_ = {kind, index};
            this.mode_ = 'select';
            this.draft_ = null;
            this.render_tools_();
            this.render_stage_();
            this.list_.querySelectorAll('.zone-row')
                .forEach(
                    (r) => r.classList.toggle(
                        'selected', r.dataset.kind === kind && Number(r.dataset.index) === index));
          },
        },
        h('span.zone-swatch', {class: kind === 'mask' ? 'mask' : '', style: {'--c': color}}),
        label_el,
        h('span.zone-points',
          `${(kind === 'zone' ? this.zones_[index].points : this.masks_[index]).length} pts`),
        h(
            'button.icon-btn.small',
            {
              type: 'button',
              'aria-label': `Delete ${kind} ${index + 1}`,
              onclick: () => this.delete_({kind, index})
            },
            icon('trash', 15),
            ),
    );
    const zones = this.zones_.map((zone, i) => {
      const input = h('input.zone-name', {
        value: zone.name,
        dataset: {index: i},
        'aria-label': `Name of zone ${i + 1}`,
        spellcheck: 'false',
        oninput: (e) => {
          zone.name = e.target.value.trim();
          e.target.classList.toggle('invalid', !kZoneName.test(zone.name));
          this.save_.disabled = !this.dirty;
          this.revert_.disabled = !this.dirty;
          this.render_stage_();
        },
      });
      return row('zone', i, input, kZoneColors[i % kZoneColors.length]);
    });
    const masks =
        this.masks_.map((_, i) => row('mask', i, h('span.zone-row-name', `Mask ${i + 1}`), kMaskColor));
    mount(
        this.list_,
        h('div.zone-list-title', 'Zones', h('span.count', this.zones_.length)),
        zones.length ? zones :
                       h('div.zone-list-empty', 'No zones. Events record which zones an object entered.'),
        h('div.zone-list-title', 'Masks', h('span.count', this.masks_.length)),
        masks.length ? masks : h('div.zone-list-empty', 'No masks. Nothing is detected inside a mask.'),
    );
  }
}
