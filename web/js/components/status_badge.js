// The state of a camera as a coloured badge: live / connecting / retrying (with the
// last error as its tooltip) / ended / stopped / disabled.
import {h} from '../dom.js';

const kLabels = {
  live: 'Live',
  connecting: 'Connecting',
  retrying: 'Retrying',
  ended: 'Ended',
  stopped: 'Stopped',
  disabled: 'Disabled',
};

export function status_badge(status) {
  const state = status?.state || 'connecting';
  const badge = h(
      'span.badge',
      {class: `badge-${state}`, dataset: {state}, title: status?.last_error || kLabels[state] || state},
      h('span.badge-dot'),
      kLabels[state] || state,
  );
  return badge;
}

// One-line reason shown under a camera that is not live.
export function status_reason(status) {
  if (!status) return '';
  if (status.state === 'retrying' || status.state === 'connecting') {
    const tries =
        status.reconnects ? ` · ${status.reconnects} reconnect${status.reconnects === 1 ? '' : 's'}` : '';
    return status.last_error ? `${status.last_error}${tries}` : tries.slice(3);
  }
  if (status.state === 'ended') return 'The stream ended';
  if (status.state === 'disabled') return 'Detection is switched off for this camera';
  return '';
}
