// The live push channel (/api/v1/ws): frames, events and camera statuses.
//
//   live.on('frame', (msg) => ...)          // returns an unsubscribe function
//   live.on('state', (state) => ...)        // 'connecting' | 'open' | 'closed'
//   live.subscribe([1, 2])                  // frame messages for these cameras only
//
// The socket reconnects by itself with exponential backoff and jitter (0.5 s .. 15 s),
// and re-sends the current subscription after each reconnect.
import {with_token} from './api.js';

const kMinDelayMs = 500;
const kMaxDelayMs = 15000;

class LiveSocket {
  constructor() {
    this.listeners_ = new Map();
    this.state_ = 'closed';
    this.socket_ = null;
    this.delay_ms_ = kMinDelayMs;
    this.timer_ = 0;
    this.subscription_ = null;  // null: never set, the server's default (all)
    this.stopped_ = true;
    this.last_message_ms_ = 0;
  }

  get state() {
    return this.state_;
  }

  start() {
    if (!this.stopped_) return;
    this.stopped_ = false;
    this.connect_();
  }

  stop() {
    this.stopped_ = true;
    clearTimeout(this.timer_);
    if (this.socket_) this.socket_.close();
    this.socket_ = null;
    this.set_state_('closed');
  }

  on(type, fn) {
    if (!this.listeners_.has(type)) this.listeners_.set(type, new Set());
    this.listeners_.get(type).add(fn);
    return () => this.listeners_.get(type).delete(fn);
  }

  // ids: the camera ids whose frame messages are wanted ([] : none). Until the first
  // call the server sends frames of every camera.
  subscribe(ids) {
    this.subscription_ = [...ids];
    this.send_subscription_();
  }

  send_subscription_() {
    if (this.socket_?.readyState !== WebSocket.OPEN || this.subscription_ === null) return;
    this.socket_.send(JSON.stringify({subscribe: this.subscription_}));
  }

  emit_(type, payload) {
    for (const fn of this.listeners_.get(type) || []) {
      try {
        fn(payload);
      } catch (e) {
        console.error(`live: ${type} listener failed`, e);
      }
    }
  }

  set_state_(state) {
    if (state === this.state_) return;
    this.state_ = state;
    this.emit_('state', state);
  }

  connect_() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.set_state_('connecting');
    let socket;
    try {
      socket = new WebSocket(with_token(`${scheme}//${location.host}/api/v1/ws`));
    } catch {
      this.schedule_();
      return;
    }
    this.socket_ = socket;
    socket.onopen = () => {
      this.delay_ms_ = kMinDelayMs;
      this.set_state_('open');
      this.send_subscription_();
    };
    socket.onmessage = (e) => {
      this.last_message_ms_ = Date.now();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg && typeof msg.type === 'string') this.emit_(msg.type, msg);
    };
    socket.onclose = () => {
      if (this.socket_ !== socket) return;
      this.socket_ = null;
      this.set_state_('closed');
      this.schedule_();
    };
    socket.onerror = () => socket.close();
  }

  schedule_() {
    if (this.stopped_) return;
    const jitter = 0.75 + Math.random() * 0.5;
    const delay = Math.min(kMaxDelayMs, this.delay_ms_) * jitter;
    this.delay_ms_ = Math.min(kMaxDelayMs, this.delay_ms_ * 2);
    clearTimeout(this.timer_);
    this.timer_ = setTimeout(() => this.connect_(), delay);
  }
}

export const live = new LiveSocket();
