// The alert sinks as cards: type, where they send to, how their deliveries go, and a
// "Send test alert" button with its result (ok or the error, and how long it took).
//
//   const sinks = new SinkCards({ on_tested });
//   sinks.set(sinks_json, health);   // health: name -> {last, pending} (see sink_health)
//
// Only MQTT sinks report a connection state (GET /sinks "status"); for email and webhook
// the state is what their deliveries say: the newest one, and how many are pending.
// A test alert goes to the sink directly (not through the outbox), so its result is kept
// here rather than in the deliveries table.
import {api, query} from '../api.js';
import {fmt_ago, fmt_time, h, mount} from '../dom.js';
import {icon} from '../icons.js';

const kTypeIcons = {
  email: 'mail',
  webhook: 'webhook',
  mqtt: 'broadcast'
};
const kTypeLabels = {
  email: 'Email',
  webhook: 'Webhook',
  mqtt: 'MQTT'
};

// What the sink sends to, as one line (secrets are already "***" in the API's answer).
export function sink_target(sink) {
  if (sink.type === 'email') {
    const to = (sink.to || []).join(', ');
    return `${to || '(no recipient)'} via ${sink.smtp_url}`;
  }
  if (sink.type === 'webhook') return `POST ${sink.url}`;
  if (sink.type === 'mqtt') return `${sink.host}:${sink.port} · ${sink.topic_prefix}/…`;
  return '';
}

// name -> {last: the newest delivery or null, pending: how many are pending, retrying:
// a pending one whose last attempt failed (the head that holds the others back) or null}
export async function sink_health(sinks, signal) {
  const entries = await Promise.all(sinks.map(async (s) => {
    const [last, pending] = await Promise.all([
      api.get(`/api/v1/alerts/deliveries${query({sink: s.name, limit: 1})}`, {signal}),
      api.get(`/api/v1/alerts/deliveries${query({sink: s.name, state: 'pending', limit: 20})}`, {signal}),
    ]);
    return [
      s.name,
      {
        last: last.deliveries[0] || null,
        pending: pending.total,
        retrying: pending.deliveries.find((d) => d.last_error) || null,
      },
    ];
  }));
  return new Map(entries);
}

// {state: ok|warn|error|idle, text}
function sink_state(sink, health) {
  const status = sink.status || {};
  if (sink.type === 'mqtt' && status.connected === false)
    return {state: 'error', text: `Not connected${status.last_error ? `: ${status.last_error}` : ''}`};
  const {last = null, pending = 0, retrying = null} = health || {};
  const queued = pending ? ` · ${pending} pending` : '';
  if (retrying)
    return {
      state: 'warn',
      text: `Retrying (attempt ${retrying.attempts} failed): ${retrying.last_error}${queued}`
    };
  if (!last) {
    if (sink.type === 'mqtt' && status.connected) return {state: 'ok', text: `Connected to ${status.broker}`};
    return {state: 'idle', text: 'No alerts sent yet'};
  }
  if (last.state === 'failed')
    return {
      state: 'error',
      text: `Last alert failed ${fmt_ago(last.finished_ms)}: ${last.last_error}${queued}`
    };
  if (last.state === 'pending') return {state: 'warn', text: `Sending${queued}`};
  return {state: 'ok', text: `Last alert sent ${fmt_ago(last.finished_ms)}${queued}`};
}

export class SinkCards {
  constructor({on_tested} = {}) {
    this.el = h('div.sink-grid');
    this.on_tested_ = on_tested;
    this.tests_ = new Map();  // name -> {ok, error, elapsed_ms, at_ms} | 'running'
    this.cards_ = new Map();  // name -> {el, state, test}
    this.sinks_ = [];
    this.health_ = new Map();
  }

  set(sinks, health) {
    this.sinks_ = sinks;
    if (health) this.health_ = health;
    if (!sinks.length) {
      mount(this.el, h('p.muted.sink-empty', 'No sinks: add them to the alerts section of the config file.'));
      this.cards_.clear();
      return;
    }
    const names = new Set(sinks.map((s) => s.name));
    for (const name of [...this.cards_.keys()]) {
      if (!names.has(name)) {
        this.cards_.get(name).el.remove();
        this.cards_.delete(name);
      }
    }
    this.el.querySelector('.sink-empty')?.remove();
    for (const sink of sinks) {
      let card = this.cards_.get(sink.name);
      if (!card) {
        card = this.build_(sink);
        this.cards_.set(sink.name, card);
        this.el.append(card.el);
      }
      this.render_state_(sink, card);
      this.render_test_(sink.name, card);
    }
  }

  build_(sink) {
    const state = h('div.sink-state');
    const test = h('div.test-result.sink-test', {role: 'status'});
    const button = h(
        'button.btn.btn-secondary.btn-small',
        {type: 'button', onclick: () => this.test_(sink.name)},
        icon('send', 14),
        'Send test alert',
    );
    const el = h(
        'article.sink-card',
        {dataset: {sink: sink.name, type: sink.type}},
        h('div.sink-head', h('div.sink-icon', icon(kTypeIcons[sink.type] || 'send', 18)),
          h('div.sink-title', h('div.sink-name', sink.name),
            h('div.sink-type', kTypeLabels[sink.type] || sink.type))),
        h('div.sink-target.mono', {title: sink_target(sink)}, sink_target(sink)),
        state,
        h('div.sink-actions', button, test),
    );
    return {el, state, test, button};
  }

  render_state_(sink, card) {
    const {state, text} = sink_state(sink, this.health_.get(sink.name));
    card.el.dataset.state = state;
    mount(card.state, h('span.state-dot'), h('span.sink-state-text', {title: text}, text));
  }

  render_test_(name, card) {
    const t = this.tests_.get(name);
    card.button.disabled = t === 'running';
    if (!t || t === 'running') delete card.test.dataset.result;
    if (!t) {
      card.test.className = 'test-result sink-test';
      card.test.replaceChildren();
      return;
    }
    if (t === 'running') {
      card.test.className = 'test-result sink-test testing';
      mount(card.test, h('span.spinner.small'), 'Sending…');
      return;
    }
    const ms = `${Math.round(t.elapsed_ms)} ms`;
    card.test.className = `test-result sink-test ${t.ok ? 'ok' : 'failed'}`;
    card.test.dataset.result = t.ok ? 'ok' : 'error';
    mount(
        card.test,
        icon(t.ok ? 'check' : 'alert', 16),
        h('span', {title: `Test alert at ${fmt_time(t.at_ms)}`},
          t.ok ? `Test alert sent · ${ms}` : `Test failed after ${ms}: ${t.error}`),
    );
  }

  async test_(name) {
    this.tests_.set(name, 'running');
    const card = this.cards_.get(name);
    if (card) this.render_test_(name, card);
    let result;
    try {
      result = await api.post(`/api/v1/alerts/sinks/${encodeURIComponent(name)}/test`);
    } catch (e) {
      result = {ok: false, error: e.message, elapsed_ms: 0};
    }
    this.tests_.set(name, {...result, at_ms: Date.now()});
    const now = this.cards_.get(name);
    if (now) this.render_test_(name, now);
    this.on_tested_?.(name, result);
  }
}
