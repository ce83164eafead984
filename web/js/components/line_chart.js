// A time-series line chart on <canvas>, sized to its box and redrawn on resize and
// theme changes; hovering shows the values at that time.
//
//   const chart = new LineChart({ unit: 'fps', window_ms: 600000 });
//   chart.set_series([{ name: 'lobby', color: '#4c8dff', points: [[t_ms, value], ...], dashed: false }]);
import {h} from '../dom.js';

const kMinSpanMs = 30000;  // a fresh page shows its first seconds, not a dot at the edge
const kPad = {
  left: 44,
  right: 12,
  top: 12,
  bottom: 24
};

function nice_step(range, ticks) {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

export class LineChart {
  constructor({unit = '', window_ms = 600000, digits = 1, min_max = 1} = {}) {
    this.unit_ = unit;
    this.window_ms_ = window_ms;
    this.digits_ = digits;
    this.min_max_ = min_max;  // the y axis shows at least 0..min_max
    this.series_ = [];
    this.hover_x_ = null;
    this.canvas_ = h('canvas.chart-canvas');
    this.legend_ = h('div.chart-legend');
    this.tooltip_ = h('div.chart-tooltip', {hidden: true});
    this.el = h('div.chart', h('div.chart-plot', this.canvas_, this.tooltip_), this.legend_);
    this.resize_ = new ResizeObserver(() => this.draw());
    this.resize_.observe(this.canvas_);
    this.canvas_.addEventListener('mousemove', (e) => {
      this.hover_x_ = e.offsetX;
      this.draw();
    });
    this.canvas_.addEventListener('mouseleave', () => {
      this.hover_x_ = null;
      this.draw();
    });
  }

  dispose() {
    this.resize_.disconnect();
  }

  set_series(series) {
    this.series_ = series;
    this.legend_.replaceChildren(
        ...series.map(
            (s) =>
                h('span.legend-item',
                  h('span.legend-swatch', {class: s.dashed ? 'dashed' : '', style: {'--swatch': s.color}}),
                  s.name),
            ),
    );
    this.draw();
  }

  draw() {
    const canvas = this.canvas_;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const grid = style.getPropertyValue('--chart-grid').trim() || '#243041';
    const text = style.getPropertyValue('--text-dim').trim() || '#8b98a9';
    const font = `11px ${style.fontFamily}`;

    // The window grows with the data (from 30 s up to window_ms) so a fresh page is
    // not a flat line in a corner.
    const now = Date.now();
    let oldest = now;
    for (const s of this.series_)
      if (s.points.length) oldest = Math.min(oldest, s.points[0][0]);
    const span = Math.min(this.window_ms_, Math.max(kMinSpanMs, now - oldest));
    const t0 = now - span;
    let max = this.min_max_;
    for (const s of this.series_)
      for (const [t, v] of s.points)
        if (t >= t0 && v > max) max = v;
    const step = nice_step(max, 4);
    const top = Math.ceil((max * 1.1) / step) * step;
    const plot_w = width - kPad.left - kPad.right;
    const plot_h = height - kPad.top - kPad.bottom;
    const x_of = (t) => kPad.left + ((t - t0) / span) * plot_w;
    const y_of = (v) => kPad.top + plot_h - (v / top) * plot_h;

    // Grid and axes.
    ctx.font = font;
    ctx.fillStyle = text;
    ctx.strokeStyle = grid;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let v = 0; v <= top + 1e-9; v += step) {
      const y = Math.round(y_of(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(kPad.left, y);
      ctx.lineTo(width - kPad.right, y);
      ctx.stroke();
      ctx.fillText(`${+ v.toFixed(2)}`, kPad.left - 8, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    // Time ticks: every 10 s, 30 s, 1 or 2 min depending on the span.
    const tick_s = [10, 30, 60, 120].find((t) => span / 1000 / t <= 6) || 120;
    for (let s = 0; s * 1000 <= span; s += tick_s) {
      const x = x_of(now - s * 1000);
      const label = s === 0 ? 'now' : s < 60 ? `−${s} s` : `−${s / 60} min`;
      ctx.fillText(
          label, Math.min(Math.max(x, kPad.left + 14), width - kPad.right - 14), height - kPad.bottom + 8);
    }

    // Lines.
    ctx.lineJoin = 'round';
    for (const s of this.series_) {
      const points = s.points.filter(([t]) => t >= t0 - 5000);
      if (!points.length) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [5, 4] : []);
      ctx.beginPath();
      points.forEach(([t, v], i) => (i ? ctx.lineTo(x_of(t), y_of(v)) : ctx.moveTo(x_of(t), y_of(v))));
      ctx.stroke();
      if (!s.dashed) {
        // A soft fill under solid lines.
        const gradient = ctx.createLinearGradient(0, kPad.top, 0, kPad.top + plot_h);
        gradient.addColorStop(0, `${s.color}33`);
        gradient.addColorStop(1, `${s.color}00`);
        ctx.lineTo(x_of(points[points.length - 1][0]), y_of(0));
        ctx.lineTo(x_of(points[0][0]), y_of(0));
        ctx.closePath();
        ctx.fillStyle = gradient;
        ctx.fill();
      }
    }
    ctx.setLineDash([]);
    this.draw_hover_(ctx, t0, span, x_of, y_of, plot_h);
  }

  draw_hover_(ctx, t0, span, x_of, y_of, plot_h) {
    if (this.hover_x_ === null || this.hover_x_ < kPad.left) {
      this.tooltip_.hidden = true;
      return;
    }
    const plot_w = this.canvas_.clientWidth - kPad.left - kPad.right;
    const t = t0 + ((this.hover_x_ - kPad.left) / plot_w) * span;
    const rows = [];
    for (const s of this.series_) {
      let best = null;
      for (const p of s.points)
        if (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p;
      if (!best || Math.abs(best[0] - t) > 10000) continue;
      rows.push([s, best]);
      ctx.fillStyle = s.color;
      ctx.beginPath();
      ctx.arc(x_of(best[0]), y_of(best[1]), 3.5, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.strokeStyle = getComputedStyle(this.canvas_).getPropertyValue('--text-dim');
    ctx.globalAlpha = 0.4;
    ctx.beginPath();
    ctx.moveTo(this.hover_x_ + 0.5, kPad.top);
    ctx.lineTo(this.hover_x_ + 0.5, kPad.top + plot_h);
    ctx.stroke();
    ctx.globalAlpha = 1;
    if (!rows.length) {
      this.tooltip_.hidden = true;
      return;
    }
    this.tooltip_.hidden = false;
    this.tooltip_.replaceChildren(
        h('div.tooltip-time', new Date(rows[0][1][0]).toLocaleTimeString()),
        ...rows.map(
            ([s, [, v]]) =>
                h('div.tooltip-row', h('span.legend-swatch', {style: {'--swatch': s.color}}), s.name,
                  h('b', `${v.toFixed(this.digits_)} ${this.unit_}`)),
            ),
    );
    const left = this.hover_x_ + 12;
    const flip = left + 180 > this.canvas_.clientWidth;
    this.tooltip_.style.left = flip ? '' : `${left}px`;
    this.tooltip_.style.right = flip ? `${this.canvas_.clientWidth - this.hover_x_ + 12}px` : '';
  }
}
