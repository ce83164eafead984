// The outbox as a table: every alert to every sink, newest first, with its state
// (pending / sent / failed), when it was queued and sent, the error of its latest
// attempt, and "Retry" on failed ones. Filters and paging are the page's URL query.
//
//   const table = new DeliveryTable({ on_query: (q) => ..., on_retried: () => ... });
//   table.set_options({ cameras, sinks, rules });    // names for the filter menus
//   table.render(answer_of_GET_deliveries, query);
import {api} from '../api.js';
import {fmt_datetime, fmt_time, h, mount} from '../dom.js';
import {icon} from '../icons.js';

import {render_pager} from './pager.js';
import {toast} from './toast.js';

export const kDeliveryPageSizes = [25, 50, 100];
const kStates = [
  ['', 'Every state'],
  ['pending', 'Pending'],
  ['sent', 'Sent'],
  ['failed', 'Failed'],
];
const kColumns = ['State', 'Queued', 'Sent', 'Rule', 'Sink', 'Camera', 'Event', 'Attempts', 'Error', ''];

// "in 4 s", "in 3 min"; null when due (it waits for its turn or is being sent).
function until(ms) {
  const s = Math.round((ms - Date.now()) / 1000);
  return s <= 0 ? null : s < 90 ? `in ${s} s` : `in ${Math.round(s / 60)} min`;
}

// The time alone today, the date too otherwise.
function fmt_when(ms) {
  return new Date(ms).toDateString() === new Date().toDateString() ? fmt_time(ms) : fmt_datetime(ms);
}

export function delivery_badge(state) {
  const labels = {pending: 'Pending', sent: 'Sent', failed: 'Failed'};
  return h(
      'span.badge', {class: `badge-${state}`, dataset: {state}}, h('span.badge-dot'), labels[state] || state);
}

export class DeliveryTable {
  constructor({on_query, on_retried} = {}) {
    this.on_query_ = on_query;
    this.on_retried_ = on_retried;
    this.query_ = {};
    this.state_ = h('select.input', {'aria-label': 'State'});
    this.camera_ = h('select.input', {'aria-label': 'Camera'});
    this.sink_ = h('select.input', {'aria-label': 'Sink'});
    this.rule_ = h('select.input', {'aria-label': 'Rule'});
    for (const el of [this.state_, this.camera_, this.sink_, this.rule_])
      el.addEventListener('change', () => this.from_controls_());
    this.body_ = h('tbody');
    this.pager_ = h('nav.pager', {'aria-label': 'Pages'});
    this.options_ = {cameras: [], sinks: [], rules: []};
    this.filters_key_ = '';
    this.el = h(
        'div.deliveries',
        h(
            'div.filter-bar.filter-bar-flat',
            h('span.filter-icon', icon('filter', 16)),
            this.state_,
            this.camera_,
            this.sink_,
            this.rule_,
            h('button.btn.btn-ghost.btn-small.filter-clear',
              {type: 'button', onclick: () => this.on_query_?.({})}, 'Clear'),
            ),
        h('div.table-wrap',
          h('table.data-table.delivery-table', h('thead', h('tr', kColumns.map((t) => h('th', t)))),
            this.body_)),
        this.pager_,
    );
  }

  set_options({cameras = [], sinks = [], rules = []}) {
    this.options_ = {cameras, sinks, rules};
    this.render_filters_();
  }

  from_controls_() {
    this.on_query_?.({
      state: this.state_.value,
      camera: this.camera_.value,
      sink: this.sink_.value,
      rule: this.rule_.value,
      limit: this.query_.limit,
    });
  }

  // Only when something changed: rebuilding the menus every refresh would close an open one.
  render_filters_() {
    const q = this.query_;
    const key = JSON.stringify([this.options_, q.state, q.camera, q.sink, q.rule]);
    if (key === this.filters_key_) return;
    this.filters_key_ = key;
    const option = (value, label, selected) =>
        h('option', {value, selected: String(selected ?? '') === String(value)}, label);
    const names = (list, current) => [...new Set([...list, ...(current ? [current] : [])])].sort();
    this.state_.replaceChildren(...kStates.map(([v, label]) => option(v, label, q.state)));
    this.camera_.replaceChildren(
        option('', 'All cameras', q.camera),
        ...names(this.options_.cameras, q.camera).map((n) => option(n, n, q.camera)));
    this.sink_.replaceChildren(
        option('', 'All sinks', q.sink),
        ...names(this.options_.sinks, q.sink).map((n) => option(n, n, q.sink)));
    this.rule_.replaceChildren(
        option('', 'All rules', q.rule),
        ...names(this.options_.rules, q.rule).map((n) => option(n, n, q.rule)));
  }

  // `answer`: GET /api/v1/alerts/deliveries; `query`: the page's URL query.
  render(answer, query) {
    this.query_ = {...query};
    this.render_filters_();
    const deliveries = answer.deliveries || [];
    if (!deliveries.length) {
      const filtered = ['state', 'camera', 'sink', 'rule'].some((k) => query[k]);
      this.body_.replaceChildren(
          h('tr',
            h('td.muted.table-empty', {colspan: kColumns.length},
              filtered ? 'No deliveries match these filters.' :
                         'No alerts yet. A delivery appears here for every alert a rule sends to a sink.')));
    } else {
      this.body_.replaceChildren(...deliveries.map((d) => this.row_(d)));
    }
    this.render_pager_(answer);
  }

  row_(d) {
    let sent = '–';
    if (d.state === 'sent' && Number.isFinite(d.finished_ms)) {
      sent =
          h('span', {title: fmt_datetime(d.finished_ms)}, fmt_when(d.finished_ms),
            h('span.muted', ` +${((d.finished_ms - d.queued_ms) / 1000).toFixed(1)} s`));
    } else if (d.state === 'failed' && Number.isFinite(d.finished_ms)) {
      sent = h('span.muted', {title: fmt_datetime(d.finished_ms)}, `gave up ${fmt_when(d.finished_ms)}`);
    } else if (d.state === 'pending') {
      const next = Number.isFinite(d.next_attempt_ms) ? until(d.next_attempt_ms) : null;
      sent = h('span.muted', next ? `next try ${next}` : d.attempts ? 'retrying' : 'queued');
    }
    const retry = d.state === 'failed' ?
        h(
            'button.btn.btn-ghost.btn-small',
            {type: 'button', onclick: (e) => this.retry_(d, e.currentTarget)},
            icon('refresh', 14),
            'Retry',
            ) :
        null;
    return h(
        'tr',
        {dataset: {delivery: d.id, state: d.state, sink: d.sink}},
        h('td', delivery_badge(d.state)),
        h('td.nowrap', {title: d.queued_ms !== d.created_ms ? `retried ${fmt_datetime(d.queued_ms)}` : ''},
          h('span', {title: fmt_datetime(d.created_ms)}, fmt_when(d.created_ms))),
        h('td.nowrap', sent),
        h('td', d.rule),
        h('td', d.sink),
        h('td', d.camera),
        h('td.nowrap', d.event_id ? h('a', {href: `#/events/${d.event_id}`}, `#${d.event_id}`) : '–',
          h('span.muted', ` ${d.type}`)),
        h('td.num', String(d.attempts)),
        h('td.delivery-error', {title: d.last_error || ''}, d.last_error || ''),
        h('td.actions', retry),
    );
  }

  render_pager_(answer) {
    const limit = answer.limit || kDeliveryPageSizes[0];
    const offset = answer.offset || 0;
    const total = answer.total || 0;
    const shown = (answer.deliveries || []).length;
    render_pager(this.pager_, {
      total,
      offset,
      limit,
      shown,
      sizes: kDeliveryPageSizes,
      label: 'Deliveries',
      on_change: (change) => this.on_query_?.({...this.query_, ...change}),
    });
    this.pager_.hidden = total <= kDeliveryPageSizes[0] && limit === kDeliveryPageSizes[0] && offset === 0;
  }

  async retry_(d, button) {
    button.disabled = true;
    try {
      await api.post(`/api/v1/alerts/deliveries/${encodeURIComponent(d.id)}/retry`);
      toast(`Delivery to ${d.sink} queued again`);
      this.on_retried_?.(d);
    } catch (e) {
      toast(e.message, 'error');
      button.disabled = false;
    }
  }
}
