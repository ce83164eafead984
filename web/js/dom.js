// Small DOM and formatting helpers shared by every page (no framework).

// h('div.card', {onclick}, child, ...) -> Element. `tag` may carry .classes and a #id.
// Attributes: on<event> -> listener, `class`/`style`/`dataset` handled, booleans toggle
// the attribute, null/undefined/false children are skipped, arrays are flattened.
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const svg =
      ['svg', 'path', 'polygon', 'polyline', 'circle', 'g', 'rect', 'line', 'image', 'text'].includes(name);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', name) :
                   document.createElement(name || 'div');
  for (const part of rest) {
    if (part[0] === '.')
      el.classList.add(part.slice(1));
    else
      el.id = part.slice(1);
  }
  if (attrs === null || attrs === undefined || attrs.constructor !== Object) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2), value);
    else if (key === 'class')
      el.classList.add(...String(value).split(/\s+/).filter(Boolean));
    else if (key === 'style' && typeof value === 'object')
      set_style(el, value);
    else if (key === 'dataset')
      Object.assign(el.dataset, value);
    else if (key === 'value' && !svg) {
      el.setAttribute('value', value);  // also findable by [value=...]
      el.value = value;
    } else if (key === 'checked' || key === 'selected' || key === 'disabled')
      el[key] = Boolean(value);
    else
      el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

// Custom properties (--name) need setProperty; plain ones are assigned.
export function set_style(el, styles) {
  for (const [name, value] of Object.entries(styles)) {
    if (name.startsWith('--'))
      el.style.setProperty(name, value);
    else
      el.style[name] = value;
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces the children of `el`.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

// --- formatting ------------------------------------------------------------------

export function fmt_number(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toFixed(digits);
}

export function fmt_bytes(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// "1 h 02 min", "42 s", "3 d 4 h"
export function fmt_duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const kTimeFormat =
    new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
const kDateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const kDayFormat = new Intl.DateTimeFormat(undefined, {weekday: 'long', month: 'long', day: 'numeric'});

export function fmt_time(ms) {
  return Number.isFinite(ms) ? kTimeFormat.format(ms) : '–';
}
export function fmt_datetime(ms) {
  return Number.isFinite(ms) ? kDateTimeFormat.format(ms) : '–';
}
export function fmt_day(ms) {
  const today = new Date();
  const d = new Date(ms);
  if (d.toDateString() === today.toDateString()) return 'Today';
  today.setDate(today.getDate() - 1);
  if (d.toDateString() === today.toDateString()) return 'Yesterday';
  return kDayFormat.format(d);
}

// "just now", "5 min ago", "3 h ago", else the date.
export function fmt_ago(ms) {
  if (!Number.isFinite(ms)) return '–';
  const s = (Date.now() - ms) / 1000;
  if (s < 10) return 'just now';
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmt_datetime(ms);
}

// <input type=datetime-local> value <-> epoch ms, in local time.
export function to_local_input(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}
export function from_local_input(value) {
  return value ? new Date(value).getTime() : null;
}

const kClassColors = {
  person: '#4c8dff',
  car: '#f59e0b',
  truck: '#f97316',
  bus: '#ec4899',
  bicycle: '#14b8a6',
  motorcycle: '#a855f7',
  dog: '#84cc16',
  cat: '#84cc16',
  backpack: '#22c55e',
  handbag: '#06b6d4',
  suitcase: '#06b6d4',
  knife: '#ef4444',
};

// A stable colour per label / camera (hue from a string hash), readable on both themes.
export function color_for(text) {
  let hash = 0;
  for (const ch of String(text)) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  if (kClassColors[text]) return kClassColors[text];
  const palette =
      ['#4c8dff', '#22c55e', '#f59e0b', '#ec4899', '#14b8a6', '#a855f7', '#f97316', '#06b6d4', '#84cc16'];
  return palette[Math.abs(hash) % palette.length];
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
