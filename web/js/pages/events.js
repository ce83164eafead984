// #/events[?camera=&label=&zone=&range=&from=&to=&limit=&offset=] and #/events/ID:
// the event timeline, newest first, grouped by day, with filters and paging. The
// filters live in the URL so a view can be reloaded or shared; #/events/ID opens one
// event over the list.
import {api, query as to_query} from '../api.js';
import {event_card} from '../components/event_card.js';
import {render_pager} from '../components/pager.js';
import {debounce, fmt_day, from_local_input, h, mount, to_local_input} from '../dom.js';
import {icon} from '../icons.js';
import {live} from '../live.js';
import {store} from '../store.js';

import {open_event_detail} from './event_detail.js';

const kRanges = [
  ['1h', 'Last hour', 3600e3],
  ['24h', 'Last 24 hours', 86400e3],
  ['7d', 'Last 7 days', 7 * 86400e3],
  ['all', 'All time', null],
  ['custom', 'Custom range…', null],
];
const kPageSizes = [24, 48, 96];

function hash_for(query, event_id = null) {
  const q = to_query(query);
  return `#/events${event_id ? `/${event_id}` : ''}${q}`;
}

let page = null;  // the mounted page, for update()

export function render(root, params, query) {
  page = new EventsPage(root, params, query);
  return () => {
    page.dispose();
    page = null;
  };
}

export function update(params, query) {
  page?.update(params, query);
}

class EventsPage {
  constructor(root, params, query) {
    this.root_ = root;
    this.query_ = {};
    this.events_ = [];
    this.total_ = 0;
    this.modal_ = null;
    this.modal_event_ = null;
    this.abort_ = null;
    this.pending_ = 0;

    this.camera_ = h('select.input', {'aria-label': 'Camera'});
    this.label_ = h('select.input', {'aria-label': 'Class'});
    this.zone_ = h('select.input', {'aria-label': 'Zone'});
    this.range_ =
        h('select.input', {'aria-label': 'Time range'},
          kRanges.map(([v, label]) => h('option', {value: v}, label)));
    this.from_ = h('input.input', {type: 'datetime-local', 'aria-label': 'From'});
    this.to_ = h('input.input', {type: 'datetime-local', 'aria-label': 'To'});
    this.custom_ = h('div.filter-custom', this.from_, h('span.muted', 'to'), this.to_);
    this.list_ = h('div.event-list');
    this.summary_ = h('p.page-subtitle');
    this.pager_ = h('nav.pager', {'aria-label': 'Pages'});
    this.banner_ =
        h('button.new-events',
          {type: 'button', hidden: true, onclick: () => this.set_query_({...this.query_, offset: 0})});

    for (const el of [this.camera_, this.label_, this.zone_, this.range_, this.from_, this.to_]) {
      el.addEventListener('change', () => this.from_controls_());
    }
    mount(
        root,
        h(
            'header.page-header',
            h('div', h('h1', 'Events'), this.summary_),
            h(
                'div.page-actions',
                h('button.btn.btn-ghost', {type: 'button', onclick: () => this.load_()}, icon('refresh', 16),
                  'Refresh'),
                ),
            ),
        h(
            'div.filter-bar',
            h('span.filter-icon', icon('filter', 16)),
            this.camera_,
            this.label_,
            this.zone_,
            this.range_,
            this.custom_,
            h('button.btn.btn-ghost.btn-small.filter-clear',
              {type: 'button', onclick: () => this.set_query_({})}, 'Clear'),
            ),
        this.banner_,
        this.list_,
        this.pager_,
    );

    this.reload_later_ = debounce(() => this.load_(), 1200);
    this.on_event_ = (e) => this.on_live_event_(e.detail);
    store.addEventListener('event', this.on_event_);
    this.on_cameras_ = () => this.render_filters_();
    store.addEventListener('cameras', this.on_cameras_);
    live.subscribe([]);
    store.ready().catch(() => {});
    this.update(params, query);
  }

  dispose() {
    store.removeEventListener('event', this.on_event_);
    store.removeEventListener('cameras', this.on_cameras_);
    this.abort_?.abort();
    this.modal_?.close();
  }

  update(params, query) {
    const same = JSON.stringify(query) === JSON.stringify(this.query_);
    this.query_ = {...query};
    if (!same || !this.loaded_) {
      this.render_filters_();
      this.load_();
    }
    if (params.event && params.event !== this.modal_event_) this.open_(params.event);
    if (!params.event && this.modal_) this.modal_.close();
  }

  set_query_(query) {
    const clean = Object.fromEntries(
        Object.entries(query).filter(([, v]) => v !== '' && v !== null && v !== undefined && v !== 0));
    location.hash = hash_for(clean);
  }

  from_controls_() {
    const q = {
      camera: this.camera_.value,
      label: this.label_.value,
      zone: this.zone_.value,
      range: this.range_.value === '24h' ? '' : this.range_.value,
      limit: this.query_.limit,
    };
    if (this.range_.value === 'custom') {
      q.from = from_local_input(this.from_.value) ?? Date.now() - 86400e3;
      q.to = from_local_input(this.to_.value) ?? '';
    }
    this.set_query_(q);
  }

  render_filters_() {
    const q = this.query_;
    const cameras = store.list();
    const option = (value, label, selected) =>
        h('option', {value, selected: String(selected ?? '') === String(value)}, label);
    this.camera_.replaceChildren(
        option('', 'All cameras', q.camera), ...cameras.map((c) => option(c.id, c.name, q.camera)));
    const labels = new Set(cameras.flatMap((c) => c.events?.classes || []));
    if (q.label) labels.add(q.label);
    this.label_.replaceChildren(
        option('', 'All classes', q.label), ...[...labels].sort().map((l) => option(l, l, q.label)));
    const scoped = q.camera ? cameras.filter((c) => String(c.id) === String(q.camera)) : cameras;
    const zones = new Set(scoped.flatMap((c) => (c.zones || []).map((z) => z.name)));
    if (q.zone) zones.add(q.zone);
    this.zone_.replaceChildren(
        option('', 'Any zone', q.zone), ...[...zones].sort().map((z) => option(z, z, q.zone)));
    this.zone_.disabled = zones.size === 0;
    this.range_.value = q.range || (q.from ? 'custom' : '24h');
    this.custom_.hidden = this.range_.value !== 'custom';
    if (this.range_.value === 'custom') {
      this.from_.value = q.from ? to_local_input(Number(q.from)) : '';
      this.to_.value = q.to ? to_local_input(Number(q.to)) : '';
    }
  }

  api_params_() {
    const q = this.query_;
    const range = kRanges.find(([v]) => v === (q.range || (q.from ? 'custom' : '24h')));
    const params = {
      camera: q.camera,
      label: q.label,
      zone: q.zone,
      limit: Number(q.limit) || kPageSizes[0],
      offset: Number(q.offset) || 0,
    };
    if (range?.[0] === 'custom') {
      params.from = q.from;
      params.to = q.to;
    } else if (range?.[2]) {
      params.from = Date.now() - range[2];
    }
    return params;
  }

  async load_() {
    this.abort_?.abort();
    this.abort_ = new AbortController();
    const params = this.api_params_();
    this.list_.classList.add('loading-list');
    if (!this.loaded_) this.list_.replaceChildren(h('div.loading', h('div.spinner'), 'Loading events…'));
    try {
      const r = await api.get(`/api/v1/events${to_query(params)}`, {signal: this.abort_.signal});
      this.loaded_ = true;
      this.events_ = r.events || [];
      this.total_ = r.total ?? this.events_.length;
      this.pending_ = 0;
      this.banner_.hidden = true;
      this.render_list_(params);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.list_.replaceChildren(
          h('div.empty-state', icon('alert', 32), h('h2', 'Events could not be loaded'), h('p', e.message)));
    } finally {
      this.list_.classList.remove('loading-list');
    }
  }

  render_list_(params) {
    const {limit, offset} = params;
    const first = this.total_ ? offset + 1 : 0;
    const last = offset + this.events_.length;
    this.summary_.textContent = this.total_ ?
        `${this.total_.toLocaleString()} event${this.total_ === 1 ? '' : 's'} · showing ${first}–${last}` :
        'No events match these filters';

    if (!this.events_.length) {
      this.list_.replaceChildren(
          h(
              'div.empty-state.wide',
              h('div.empty-icon', icon('events', 32)),
              h('h2', 'No events'),
              h('p',
                Object.keys(this.query_).length ?
                    'Nothing matches these filters. Widen the time range or clear the filters.' :
                    'Events appear here when a camera confirms an object of an event class.'),
              ),
      );
    } else {
      const groups = [];
      for (const e of this.events_) {
        const day = fmt_day(e.start_ms);
        if (!groups.length || groups[groups.length - 1].day !== day) groups.push({day, events: []});
        groups[groups.length - 1].events.push(e);
      }
      this.list_.replaceChildren(
          ...groups.map(
              (g) => h(
                  'section.event-group',
                  h('h2.event-day', g.day, h('span.count', g.events.length)),
                  h('div.event-grid',
                    g.events.map(
                        (e) => event_card(e, (ev) => (location.hash = hash_for(this.query_, ev.id))))),
                  ),
              ),
      );
    }

    render_pager(this.pager_, {
      total: this.total_,
      offset,
      limit,
      shown: this.events_.length,
      sizes: kPageSizes,
      label: 'Events',
      on_change: (change) => this.set_query_({...this.query_, ...change}),
    });
    this.pager_.hidden = this.total_ === 0;
  }

  on_live_event_({kind, event}) {
    const q = this.query_;
    if (q.camera && String(event.camera_id) !== String(q.camera)) return;
    if (q.label && event.label !== q.label) return;
    if (q.zone && !(event.zones || []).includes(q.zone)) return;
    const shown = this.events_.find((e) => e.id === event.id);
    if (shown) {
      Object.assign(shown, event);
      const card = this.list_.querySelector(`[data-event="${event.id}"]`);
      card?.replaceWith(event_card(shown, (ev) => (location.hash = hash_for(this.query_, ev.id))));
      return;
    }
    if (kind !== 'opened') return;
    // New events: the first page of a relative range refreshes itself; elsewhere a
    // banner says how many arrived.
    if (!Number(q.offset) && q.range !== 'custom' && !q.from) {
      this.reload_later_();
    } else {
      this.pending_++;
      this.banner_.hidden = false;
      this.banner_.replaceChildren(
          icon('events', 16),
          `${this.pending_} new event${this.pending_ === 1 ? '' : 's'} — show the latest`);
    }
  }

  async open_(id) {
    this.modal_?.close();
    this.modal_event_ = id;
    const known = this.events_.find((e) => e.id === id);
    this.modal_ = await open_event_detail({
      event: known || id,
      list: this.events_,
      on_step: (e) => {
        this.modal_event_ = e.id;
        history.replaceState(null, '', hash_for(this.query_, e.id));
      },
      on_close: () => {
        this.modal_ = null;
        this.modal_event_ = null;
        if (/^#\/events\/\d+/.test(location.hash)) history.replaceState(null, '', hash_for(this.query_));
      },
      on_deleted: () => this.load_(),
    });
  }
}
