// Boot sequence of the UI: theme -> auth check (login page when needed) -> shell ->
// live channel -> router. Pages are modules under pages/, one per route, each exporting
// render(root, params, query) that returns its cleanup function.
import {api, ApiError, set_token} from './api.js';
import {h, mount} from './dom.js';
import {icon} from './icons.js';
import {live} from './live.js';
import * as alerts_page from './pages/alerts.js';
import * as camera_page from './pages/camera.js';
import * as cameras_page from './pages/cameras.js';
import * as events_page from './pages/events.js';
import * as login_page from './pages/login.js';
import * as system_page from './pages/system.js';
import {store} from './store.js';

const kThemeKey = 'tilescope.theme';

// Routes: #/cameras, #/camera/ID, #/events[/ID][?filters], #/alerts[?filters], #/system.
const kRoutes = [
  {pattern: /^\/cameras$/, page: cameras_page, nav: 'cameras'},
  {pattern: /^\/camera\/(\d+)$/, page: camera_page, nav: 'cameras', params: ['id']},
  {pattern: /^\/events(?:\/(\d+))?$/, page: events_page, nav: 'events', params: ['event']},
  {pattern: /^\/alerts$/, page: alerts_page, nav: 'alerts'},
  {pattern: /^\/system$/, page: system_page, nav: 'system'},
];

let cleanup = null;
let shell = null;

function apply_theme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(kThemeKey, theme);
  document.querySelector('meta[name="theme-color"]')
      ?.setAttribute('content', theme === 'light' ? '#f5f7fa' : '#0b0f14');
  window.dispatchEvent(new Event('tilescope:theme'));
}

function current_theme() {
  return document.documentElement.dataset.theme || 'dark';
}

function nav_link(name, label, icon_name) {
  return h(
      'a.nav-link',
      {href: `#/${name}`, dataset: {nav: name}},
      icon(icon_name, 18),
      h('span.nav-label', label),
      name === 'events' ? h('span.nav-badge', {hidden: true}) : null,
  );
}

function build_shell(auth) {
  const connection =
      h('div.connection', {title: 'Live updates'}, h('span.connection-dot'),
        h('span.connection-label', 'Connecting'));
  const theme_button = h('button.icon-btn.theme-toggle', {
    type: 'button',
    onclick: () => {
      apply_theme(current_theme() === 'dark' ? 'light' : 'dark');
      render_theme_button();
    },
  });
  function render_theme_button() {
    const dark = current_theme() === 'dark';
    theme_button.replaceChildren(icon(dark ? 'sun' : 'moon', 18));
    theme_button.setAttribute('aria-label', dark ? 'Switch to the light theme' : 'Switch to the dark theme');
    theme_button.title = dark ? 'Light theme' : 'Dark theme';
  }
  render_theme_button();

  const main = h('main.main', {id: 'main'});
  const sidebar = h(
      'nav.sidebar',
      {'aria-label': 'Main'},
      h('a.brand', {href: '#/cameras'}, h('span.brand-mark', icon('logo', 22)),
        h('span.brand-name', 'tilescope')),
      h('div.nav-links', nav_link('cameras', 'Cameras', 'grid'), nav_link('events', 'Events', 'events'),
        nav_link('alerts', 'Alerts', 'send'), nav_link('system', 'System', 'system')),
      h('div.sidebar-foot', connection, h('div.spacer'), auth.required ? logout_button() : null,
        theme_button),
  );
  const root = h('div.app', sidebar, main);

  live.on('state', (state) => {
    connection.dataset.state = state;
    const labels = {open: 'Live', connecting: 'Connecting', closed: 'Reconnecting'};
    connection.querySelector('.connection-label').textContent = labels[state] || state;
    connection.title =
        state === 'open' ? 'Receiving live updates' : 'Live updates lost: reconnecting with backoff';
  });
  store.addEventListener('unseen', () => {
    const badge = sidebar.querySelector('.nav-badge');
    badge.hidden = store.unseen_events === 0 || location.hash.startsWith('#/events');
    badge.textContent = store.unseen_events > 99 ? '99+' : String(store.unseen_events);
  });
  return {root, main, sidebar};
}

function parse_hash() {
  const raw = location.hash.replace(/^#/, '') || '/cameras';
  const [path, qs = ''] = raw.split('?');
  return {path, query: Object.fromEntries(new URLSearchParams(qs))};
}

function route() {
  const {path, query} = parse_hash();
  const match = kRoutes.map((r) => ({r, m: r.pattern.exec(path)})).find((x) => x.m);
  if (!match) {
    location.replace('#/cameras');
    return;
  }
  const {r, m} = match;
  const params = {};
  (r.params || []).forEach((name, i) => (params[name] = m[i + 1] ? Number(m[i + 1]) : null));

  // Same page, only the query or sub-route changed: let it update in place.
  if (shell.current?.page === r.page && r.page.update) {
    r.page.update(params, query);
    return;
  }
  cleanup?.();
  cleanup = null;
  shell.current = {page: r.page};
  for (const link of shell.sidebar.querySelectorAll('.nav-link')) {
    link.classList.toggle('active', link.dataset.nav === r.nav);
    link.toggleAttribute('aria-current', link.dataset.nav === r.nav);
  }
  if (r.nav === 'events') {
    store.mark_events_seen();
  }
  shell.main.replaceChildren();
  shell.main.scrollTop = 0;
  window.scrollTo(0, 0);
  const page_root = h('div.page');
  shell.main.append(page_root);
  try {
    cleanup = r.page.render(page_root, params, query) || null;
  } catch (e) {
    console.error(e);
    mount(
        page_root,
        h('div.empty-state', icon('alert', 32), h('h2', 'This page failed to load'),
          h('p', String(e.message || e))));
  }
}

// Ends the session (the server forgets the token and clears the cookie), then back to
// the login page.
function logout_button() {
  return h(
      'button.icon-btn', {
        type: 'button',
        'aria-label': 'Sign out',
        title: 'Sign out',
        onclick: async () => {
          await api.post('/api/v1/logout').catch(() => {});
          set_token('');
          location.reload();
        },
      },
      icon('logout', 18));
}

async function start_app(auth) {
  shell = build_shell(auth);
  mount(document.body, shell.root);
  store.start();
  live.start();
  window.addEventListener('hashchange', route);
  route();
}

async function boot() {
  apply_theme(localStorage.getItem(kThemeKey) || 'dark');
  let auth = {required: false, authenticated: true};
  try {
    auth = await api.get('/api/v1/auth');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) {
      mount(
          document.body,
          h('div.boot-error', icon('alert', 32), h('h2', 'Cannot reach tilescope'), h('p', e.message),
            h('button.btn.btn-primary', {onclick: () => location.reload()}, 'Retry')),
      );
      return;
    }
  }
  window.addEventListener('tilescope:unauthorized', () => {
    if (document.body.querySelector('.login')) return;
    live.stop();
    cleanup?.();
    cleanup = null;
    login_page.render(document.body, () => location.reload());
  });
  if (auth.required && !auth.authenticated) {
    login_page.render(document.body, () => start_app(auth));
    return;
  }
  start_app(auth);
}

boot();
