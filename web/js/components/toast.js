// Short notices in the corner: toast('Camera saved'), toast(message, 'error').
import {h} from '../dom.js';
import {icon} from '../icons.js';

let host = null;

export function toast(message, kind = 'info', timeout_ms = 4000) {
  if (!host) {
    host = h('div.toasts', {role: 'status', 'aria-live': 'polite'});
    document.body.append(host);
  }
  const el = h(
      'div.toast',
      {class: `toast-${kind}`},
      icon(kind === 'error' ? 'alert' : 'check', 16),
      h('span', message),
  );
  host.append(el);
  setTimeout(() => {
    el.classList.add('toast-out');
    setTimeout(() => el.remove(), 300);
  }, timeout_ms);
}
