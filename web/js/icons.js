// Line icons (24x24, stroke = currentColor), drawn by hand so nothing is fetched.
import {h} from './dom.js';

const kPaths = {
  logo:
      'M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7Z M12 11.2v1.6',
  camera: 'M3 7h3l2-3h8l2 3h3v12H3V7Z M12 10a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7Z',
  grid: 'M4 4h7v7H4z M13 4h7v7h-7z M4 13h7v7H4z M13 13h7v7h-7z',
  events: 'M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8Z M10 20a2 2 0 0 0 4 0',
  system: 'M3 12h4l3-8 4 16 3-8h4',
  plus: 'M12 5v14 M5 12h14',
  edit: 'M4 20h4L19 9l-4-4L4 16v4Z M13.5 6.5l4 4',
  trash: 'M4 7h16 M9 7V4h6v3 M6 7l1 13h10l1-13 M10 11v6 M14 11v6',
  sun:
      'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8Z M12 2v2 M12 20v2 M4.9 4.9l1.4 1.4 M17.7 17.7l1.4 1.4 M2 12h2 M20 12h2 M4.9 19.1l1.4-1.4 M17.7 6.3l1.4-1.4',
  moon: 'M20 14.5A8 8 0 0 1 9.5 4 8 8 0 1 0 20 14.5Z',
  x: 'M6 6l12 12 M18 6 6 18',
  refresh: 'M20 11a8 8 0 0 0-14.6-4.5L4 8 M4 4v4h4 M4 13a8 8 0 0 0 14.6 4.5L20 16 M20 20v-4h-4',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  alert: 'M12 3 2 20h20L12 3Z M12 10v4 M12 17v.5',
  chevron_left: 'M15 5l-7 7 7 7',
  chevron_right: 'M9 5l7 7-7 7',
  filter: 'M3 5h18l-7 8v6l-4 2v-8L3 5Z',
  polygon: 'M5 8l6-4 8 5-2 10H7L5 8Z',
  mask: 'M4 4h16v16H4z M4 10l6-6 M4 16 16 4 M8 20 20 8 M14 20l6-6',
  pointer: 'M5 3l14 7-6 2-2 6L5 3Z',
  lock: 'M6 11h12v10H6z M8 11V8a4 4 0 0 1 8 0v3',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18Z M12 7v5l3 2',
  plug: 'M9 3v5 M15 3v5 M6 8h12v3a6 6 0 0 1-12 0V8Z M12 17v4',
  expand: 'M4 9V4h5 M20 9V4h-5 M4 15v5h5 M20 15v5h-5',
  layers: 'M12 3 2 8l10 5 10-5-10-5Z M2 13l10 5 10-5 M2 17.5l10 5 10-5',
  cpu: 'M7 7h10v10H7z M10 10h4v4h-4z M9 3v4 M15 3v4 M9 17v4 M15 17v4 M3 9h4 M3 15h4 M17 9h4 M17 15h4',
  database:
      'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3Z M4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6 M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
  memory: 'M3 7h18v10H3z M7 7v10 M11 7v10 M15 7v10 M19 17v3 M5 17v3',
  external: 'M14 4h6v6 M20 4l-9 9 M18 14v6H4V6h6',
  menu: 'M4 6h16 M4 12h16 M4 18h16',
  eye: 'M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12Z M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z',
  eye_off:
      'M3 3l18 18 M10.6 6.1A10 10 0 0 1 12 6c6.5 0 10 6 10 6a17 17 0 0 1-3 3.6 M6.6 6.6A17 17 0 0 0 2 12s3.5 6 10 6c1.6 0 3-.4 4.3-1 M9.9 9.9a3 3 0 0 0 4.2 4.2',
  logout: 'M15 4h4v16h-4 M10 16l4-4-4-4 M14 12H4',
  send: 'M21 3 10 14 M21 3l-7 18-4-7-7-4 18-7Z',
  mail: 'M3 5h18v14H3z M3 6l9 7 9-7',
  webhook:
      'M10 14a4.5 4.5 0 0 0 6.4 0l3.2-3.2a4.5 4.5 0 0 0-6.4-6.4L12 5.6 M14 10a4.5 4.5 0 0 0-6.4 0l-3.2 3.2a4.5 4.5 0 0 0 6.4 6.4l1.2-1.2',
  broadcast:
      'M12 11.5v.5 M8.5 8.5a5 5 0 0 0 0 7 M15.5 8.5a5 5 0 0 1 0 7 M5.6 5.6a9 9 0 0 0 0 12.8 M18.4 5.6a9 9 0 0 1 0 12.8',
  rule: 'M4 6h10 M4 12h7 M4 18h10 M17 9l3 3-3 3',
};

// icon('camera', 18) -> <svg class="icon">
export function icon(name, size = 18) {
  return h(
      'svg.icon',
      {
        viewBox: '0 0 24 24',
        width: size,
        height: size,
        fill: 'none',
        stroke: 'currentColor',
        'stroke-width': 1.8,
        'stroke-linecap': 'round',
        'stroke-linejoin': 'round',
        'aria-hidden': 'true',
      },
      h('path', {d: kPaths[name] || kPaths.alert}),
  );
}
