// #/alerts[?state=&camera=&sink=&rule=&limit=&offset=]: the alerts of the live system
// (README "Alerts"): how many deliveries are pending, sent and failed; the rules (add,
// edit, switch on/off, delete); the sinks with their state and a test button; and the
// outbox's deliveries, filtered and paged through the URL query like the events page.
//
// Everything comes from /api/v1/alerts (alerts_api.h). A server whose config has no
// alerts section still answers there, with no sinks (and so no rules: a rule needs a
// sink); the page then says that alerts are not configured and how to add them (404, an
// older server without the routes, reads the same). There is no push channel for
// alerts, so the page polls while it is visible.
import {api, ApiError, query as to_query} from '../api.js';
import {DeliveryTable, kDeliveryPageSizes} from '../components/alert_deliveries.js';
import {sink_health, SinkCards} from '../components/alert_sinks.js';
import {confirm_dialog} from '../components/modal.js';
import {kDays, open_rule_dialog} from '../components/rule_dialog.js';
import {toast} from '../components/toast.js';
import {h, mount} from '../dom.js';
import {icon} from '../icons.js';
import {store} from '../store.js';

const kRefreshMs = 3000;
const kDayLabels = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

let page = null;  // the mounted page, for update()

export function render(root, params, query) {
  page = new AlertsPage(root, query);
  return () => {
    page.dispose();
    page = null;
  };
}

export function update(params, query) {
  page?.update(query);
}

// ["mon".."fri"] -> "Mon–Fri"; ["sat", "sun", "tue"] -> "Tue, Sat, Sun"; all -> "Every day".
export function days_text(days) {
  const idx = kDays.map((d, i) => (days.includes(d) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 7) return 'Every day';
  const runs = [];
  for (const i of idx) {
    const run = runs[runs.length - 1];
    if (run && run[1] === i - 1)
      run[1] = i;
    else
      runs.push([i, i]);
  }
  return runs
      .map(
          ([a, b]) =>
              (b - a >= 2 ? `${kDayLabels[a]}–${kDayLabels[b]}` : kDayLabels.slice(a, b + 1).join(', ')))
      .join(', ');
}

export function schedule_text(schedule) {
  if (!schedule?.length) return 'Always';
  return schedule
      .map((w) => {
        const whole = (w.from || '00:00') === '00:00' && (w.to || '24:00') === '24:00';
        return `${days_text(w.days || kDays)} ${whole ? 'all day' : `${w.from}–${w.to}`}`;
      })
      .join('; ');
}

// The conditions of a rule in one line: "person, car · back, gate · enters door · score ≥ 0.5".
export function conditions_text(rule) {
  const parts = [
    rule.classes.length ? rule.classes.join(', ') : 'any class',
    rule.cameras.length ? `on ${rule.cameras.join(', ')}` : 'on every camera',
  ];
  if (rule.zones.length)
    parts.push(`${rule.zone_mode === 'enter' ? 'enters' : 'in'} ${rule.zones.join(', ')}`);
  if (rule.min_score > 0) parts.push(`score ≥ ${rule.min_score}`);
  return parts.join(' · ');
}

export function trigger_text(rule) {
  const parts = [];
  if (rule.confirm)
    parts.push(`seen in ${rule.confirm.n} of ${rule.confirm.m} frames`);
  else if (rule.min_duration_s > 0)
    parts.push(`after ${rule.min_duration_s} s`);
  else
    parts.push('at once');
  if (rule.cooldown_per_track_s > 0) parts.push(`${rule.cooldown_per_track_s} s cooldown per track`);
  if (rule.cooldown_per_camera_s > 0) parts.push(`${rule.cooldown_per_camera_s} s cooldown per camera`);
  if (rule.notify_on_end) parts.push('and at the end');
  return parts.join(' · ');
}

class AlertsPage {
  constructor(root, query) {
    this.root_ = root;
    this.query_ = {...query};
    this.overview_ = null;
    this.rules_ = [];
    this.rules_key_ = '';
    this.sinks_json_ = [];
    this.timer_ = 0;
    this.busy_ = false;
    this.again_ = false;
    this.disposed_ = false;
    this.abort_ = new AbortController();

    this.subtitle_ = h('p.page-subtitle');
    this.content_ = h('div.alerts-content', h('div.loading', h('div.spinner'), 'Loading alerts…'));
    this.counts_ = h('div.metric-grid.alert-counts');
    this.rules_body_ = h('tbody');
    this.rules_origin_ = h('p.panel-sub');
    this.sinks_ = new SinkCards({on_tested: () => this.refresh_()});
    this.deliveries_ = new DeliveryTable({
      on_query: (q) => this.set_query_(q),
      on_retried: () => this.refresh_(),
    });
    this.deliveries_error_ = h('div.form-error', {role: 'alert', hidden: true});

    mount(
        root,
        h('header.page-header', h('div', h('h1', 'Alerts'), this.subtitle_),
          h('div.page-actions',
            h('button.btn.btn-ghost', {type: 'button', onclick: () => this.reload_()}, icon('refresh', 16),
              'Refresh'))),
        this.content_,
    );
    store.ready().catch(() => {});
    this.start_();
  }

  dispose() {
    this.disposed_ = true;
    clearInterval(this.timer_);
    this.abort_.abort();
  }

  update(query) {
    this.query_ = {...query};
    if (!this.overview_) return;
    this.render_counts_();
    this.load_deliveries_().catch(() => {});
  }

  // The Refresh button: the page again when it showed alerts as unavailable.
  reload_() {
    if (this.overview_) {
      this.refresh_();
    } else {
      mount(this.content_, h('div.loading', h('div.spinner'), 'Loading alerts…'));
      this.start_();
    }
  }

  set_query_(query) {
    const clean = Object.fromEntries(
        Object.entries(query).filter(([, v]) => v !== '' && v !== null && v !== undefined && v !== 0));
    location.hash = `#/alerts${to_query(clean)}`;
  }

  async start_() {
    try {
      this.overview_ = await api.get('/api/v1/alerts', {signal: this.abort_.signal});
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.show_unavailable_(e);
      return;
    }
    if (!this.overview_.sinks) {
      this.show_unavailable_(null);
      return;
    }
    this.build_();
    await this.refresh_();
    if (this.disposed_) return;
    clearInterval(this.timer_);
    this.timer_ = setInterval(() => {
      if (!document.hidden) this.refresh_();
    }, kRefreshMs);
  }

  // `e` null: the server has no sinks.
  show_unavailable_(e) {
    this.overview_ = null;
    clearInterval(this.timer_);
    const not_configured = !e || (e instanceof ApiError && e.status === 404);
    this.subtitle_.textContent = not_configured ? 'Not configured on this server' : 'Unavailable';
    mount(
        this.content_,
        not_configured ?
            h('div.empty-state.alerts-off', h('div.empty-icon', icon('send', 32)),
              h('h2', 'Alerts are not configured'),
              h('p',
                'This server runs without an alerts section in its config file, so no alerts are sent. Add ',
                h('code', 'alerts:'),
                ' with at least one sink (email, webhook or MQTT) and the rules that use it, then restart ',
                h('code', 'tilescope serve'), '. The README\'s "Alerts" section has an example.')) :
            h('div.empty-state', icon('alert', 32), h('h2', 'Alerts could not be loaded'), h('p', e.message),
              h('button.btn.btn-primary', {type: 'button', onclick: () => this.reload_()}, 'Retry')),
    );
  }

  build_() {
    this.subtitle_.textContent = 'Rules, where alerts go, and what was delivered';
    const add =
        h('button.btn.btn-primary.btn-small', {type: 'button', onclick: () => this.edit_rule_(null)},
          icon('plus', 14), 'Add rule');
    mount(
        this.content_,
        this.counts_,
        h('section.panel.rules-panel',
          h('div.panel-head', h('div', h('h2.panel-title', 'Rules'), this.rules_origin_), add),
          h('div.table-wrap',
            h('table.data-table.rule-table',
              h('thead',
                h('tr',
                  ['On', 'Name', 'Conditions', 'Fires', 'Time windows', 'Severity', 'Sinks',
                   ''].map((t) => h('th', t)))),
              this.rules_body_))),
        h('section.panel.sinks-panel',
          h('div.panel-head',
            h('div', h('h2.panel-title', 'Sinks'),
              h('p.panel-sub', 'Where alerts go. Configured in the config file; secrets are not shown.'))),
          this.sinks_.el),
        h('section.panel.deliveries-panel',
          h('div.panel-head',
            h('div', h('h2.panel-title', 'Deliveries'),
              h('p.panel-sub',
                'Every alert to every sink, newest first. Failed ones are retried with back-off until the outbox gives up.'))),
          this.deliveries_error_, this.deliveries_.el),
    );
  }

  // One refresh at a time; a call during one runs again right after it (an edit, a test).
  async refresh_() {
    if (this.disposed_ || !this.overview_) return;
    if (this.busy_) {
      this.again_ = true;
      return;
    }
    this.busy_ = true;
    this.again_ = false;
    const signal = this.abort_.signal;
    try {
      const [overview, rules, sinks] = await Promise.all([
        api.get('/api/v1/alerts', {signal}),
        api.get('/api/v1/alerts/rules', {signal}),
        api.get('/api/v1/alerts/sinks', {signal}),
      ]);
      if (!overview.sinks) {  // restarted without an alerts section
        this.show_unavailable_(null);
        return;
      }
      this.overview_ = overview;
      this.render_counts_();
      this.set_rules_(rules);
      this.sinks_json_ = sinks.sinks || [];
      const [health] = await Promise.all([sink_health(this.sinks_json_, signal), this.load_deliveries_()]);
      if (this.disposed_) return;
      this.sinks_.set(this.sinks_json_, health);
      this.deliveries_.set_options({
        cameras: [...new Set([...store.list().map((c) => c.name), ...this.rules_.flatMap((r) => r.cameras)])],
        sinks: this.sinks_json_.map((s) => s.name),
        rules: this.rules_.map((r) => r.name),
      });
    } catch (e) {
      if (e.name !== 'AbortError' && !this.disposed_) {
        if (e instanceof ApiError && e.status === 404) this.show_unavailable_(e);  // restarted without alerts
      }
    } finally {
      this.busy_ = false;
    }
    if (this.again_) this.refresh_();
  }

  async load_deliveries_() {
    const q = this.query_;
    const params = {
      state: q.state,
      camera: q.camera,
      sink: q.sink,
      rule: q.rule,
      limit: Number(q.limit) || kDeliveryPageSizes[0],
      offset: q.offset,
    };
    try {
      const answer =
          await api.get(`/api/v1/alerts/deliveries${to_query(params)}`, {signal: this.abort_.signal});
      this.deliveries_error_.hidden = true;
      this.deliveries_.render(answer, q);
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.deliveries_error_.hidden = false;
      mount(this.deliveries_error_, icon('alert', 16), h('div', e.message));
    }
  }

  render_counts_() {
    const o = this.overview_;
    const counts = o.counts || {};
    const tile = (state, icon_name, label, value, sub) =>
        h('a.metric-tile.count-tile', {
          href: `#/alerts${to_query({state: this.query_.state === state ? '' : state})}`,
          dataset: {metric: state},
          class: this.query_.state === state ? 'selected' : '',
          title: this.query_.state === state ? 'Show every state' :
                                               `Show only ${label.toLowerCase()} deliveries`,
        },
          h('div.metric-icon', icon(icon_name, 18)),
          h('div.metric-body', h('div.metric-label', label), h('div.metric-value', value.toLocaleString()),
            h('div.metric-sub', sub)));
    const enabled = this.rules_.filter((r) => r.enabled).length;
    this.counts_.replaceChildren(
        tile('pending', 'clock', 'Pending', counts.pending ?? 0, 'queued or waiting for a retry'),
        tile('sent', 'check', 'Sent', counts.sent ?? 0, 'confirmed by the receiver'),
        tile('failed', 'alert', 'Failed', counts.failed ?? 0, 'gave up; can be retried'),
        h('div.metric-tile', {dataset: {metric: 'rules'}}, h('div.metric-icon', icon('rule', 18)),
          h('div.metric-body', h('div.metric-label', 'Rules'),
            h('div.metric-value', `${enabled} / ${o.rules ?? this.rules_.length}`),
            h('div.metric-sub', `active · ${o.sinks ?? 0} sink${o.sinks === 1 ? '' : 's'}`))),
    );
  }

  set_rules_({rules, origin}) {
    const key = JSON.stringify(rules) + origin;
    if (key === this.rules_key_) return;
    this.rules_key_ = key;
    this.rules_ = rules || [];
    this.rules_origin_.textContent = origin === 'api' ?
        'Edited here: stored in the database, the config file\'s rules are no longer applied.' :
        'From the config file until edited here.';
    this.render_counts_();
    if (!this.rules_.length) {
      this.rules_body_.replaceChildren(h(
          'tr',
          h('td.muted.table-empty', {colspan: 8}, 'No rules: no event becomes an alert. Add one to start.')));
      return;
    }
    this.rules_body_.replaceChildren(...this.rules_.map((r) => this.rule_row_(r)));
  }

  rule_row_(rule) {
    const toggle = h('input', {
      type: 'checkbox',
      checked: rule.enabled,
      'aria-label': `${rule.name} active`,
      onchange: (e) => this.set_enabled_(rule, e.target.checked, e.target),
    });
    return h(
        'tr',
        {dataset: {rule: rule.name}, class: rule.enabled ? '' : 'rule-off'},
        h('td', h('label.switch.switch-compact', toggle, h('span.switch-track'))),
        h('td.rule-name', rule.name),
        h('td', conditions_text(rule)),
        h('td', trigger_text(rule)),
        h('td', schedule_text(rule.schedule)),
        h('td', h('span.badge', {class: `badge-${rule.severity}`}, rule.severity)),
        h('td', h('div.zone-chips', rule.sinks.map((s) => h('span.zone-chip', s)))),
        h('td.actions.nowrap',
          h('button.icon-btn.small', {
            type: 'button',
            'aria-label': `Edit ${rule.name}`,
            title: 'Edit rule',
            onclick: () => this.edit_rule_(rule)
          },
            icon('edit', 16)),
          h('button.icon-btn.small', {
            type: 'button',
            'aria-label': `Delete ${rule.name}`,
            title: 'Delete rule',
            onclick: () => this.delete_rule_(rule)
          },
            icon('trash', 16))),
    );
  }

  edit_rule_(rule) {
    open_rule_dialog({
      rule,
      sinks: this.sinks_json_,
      on_saved: () => {
        this.rules_key_ = '';
        this.refresh_();
      },
    });
  }

  async set_enabled_(rule, enabled, input) {
    input.disabled = true;
    try {
      await api.put(`/api/v1/alerts/rules/${encodeURIComponent(rule.name)}`, {...rule, enabled});
      toast(`${enabled ? 'Enabled' : 'Paused'} rule "${rule.name}"`);
    } catch (e) {
      input.checked = !enabled;
      toast(e.message, 'error');
    } finally {
      input.disabled = false;
      this.rules_key_ = '';
      this.refresh_();
    }
  }

  async delete_rule_(rule) {
    const ok = await confirm_dialog({
      title: `Delete rule "${rule.name}"?`,
      message: 'Events stop becoming alerts through this rule. Its past deliveries stay in the list.',
      confirm: 'Delete rule',
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/alerts/rules/${encodeURIComponent(rule.name)}`);
      toast(`Deleted rule "${rule.name}"`);
    } catch (e) {
      toast(e.message, 'error');
    }
    this.rules_key_ = '';
    this.refresh_();
  }
}
