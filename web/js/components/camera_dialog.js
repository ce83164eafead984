// Add / edit / remove a camera, with a connection test.
//
//   open_camera_dialog({ camera, on_saved, on_deleted })   // camera: null to add one
//
// The API shows a URL's password as "***" and keeps the stored one when "***" comes
// back (config::camera_from_json), so the password lives in its own field: left empty
// on an edit it is sent back as "***", i.e. unchanged. Validation problems come back
// with paths relative to the body ("url", "events.confirm_n") and are shown next to
// the field they name.
import {api} from '../api.js';
import {h} from '../dom.js';
import {icon} from '../icons.js';
import {store} from '../store.js';

import {class_picker} from './class_picker.js';
import {FormFields} from './form_fields.js';
import {confirm_dialog, open_modal} from './modal.js';
import {toast} from './toast.js';

const kRedacted = '***';

// The defaults of config::CameraConfig.
const kDefaults = {
  name: '',
  url: '',
  enabled: true,
  fps_limit: 5,
  rtsp_transport: 'tcp',
  loop: true,
  classes: [],
  score_threshold: 0.35,
  class_thresholds: {},
  tiling: null,
  zones: [],
  masks: [],
  events: {classes: ['person'], min_score: 0.5, confirm_n: 3, confirm_m: 5},
};
const kTilingDefaults = {
  mode: 'adaptive',
  overlap: 0.2,
  min_object_px: 0,
  budget_ms: 0,
  full_frame: null,
  motion_gating: true,
  sweep_every: 10,
};

const kUrlPattern = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)(.*)$/;

// "rtsp://admin:pw@host/x" -> { url: "rtsp://admin@host/x", password: "pw" } (as redact_url
// reads the user-info: up to the last '@' of the authority, password after the first ':').
export function split_credentials(url) {
  const m = kUrlPattern.exec(url || '');
  if (!m) return {url: url || '', password: ''};
  const at = m[2].lastIndexOf('@');
  const colon = m[2].indexOf(':');
  if (at < 0 || colon < 0 || colon > at) return {url, password: ''};
  return {url: m[1] + m[2].slice(0, colon) + m[2].slice(at) + m[3], password: m[2].slice(colon + 1, at)};
}

// The inverse; null when a password is given but the URL has no user to attach it to.
export function join_credentials(url, password) {
  if (!password) return url;
  const m = kUrlPattern.exec(url || '');
  if (!m) return null;
  const at = m[2].lastIndexOf('@');
  if (at < 0) return null;
  const userinfo = m[2].slice(0, at);
  if (userinfo.includes(':')) return url;  // typed inline: theirs wins
  const secret = password === kRedacted ? kRedacted : encodeURIComponent(password);
  return `${m[1]}${userinfo}:${secret}${m[2].slice(at)}${m[3]}`;
}

function number_input(attrs) {
  return h('input.input', {type: 'number', inputmode: 'decimal', ...attrs});
}

export async function open_camera_dialog({camera = null, on_saved, on_deleted} = {}) {
  const classes = await store.load_classes().catch(() => []);
  const base = structuredClone(camera ? {...kDefaults, ...camera} : kDefaults);
  delete base.id;
  delete base.status;
  const editing = Boolean(camera);
  const credentials = split_credentials(base.url);
  const form_fields = new FormFields('camera');
  const field = (...a) => form_fields.field(...a);

  // --- source ---
  const name = h('input.input', {
    name: 'name',
    value: base.name,
    placeholder: 'front-door',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  });
  const url = h('input.input.mono', {
    name: 'url',
    value: credentials.url,
    placeholder: 'rtsp://user@192.168.1.20:554/stream1',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
  });
  const password = h('input.input', {
    name: 'password',
    type: 'password',
    autocomplete: 'new-password',
    placeholder: credentials.password ? '•••••••• (unchanged)' : 'Stream password',
  });
  const reveal = h(
      'button.input-addon',
      {
        type: 'button',
        'aria-label': 'Show password',
        onclick: () => {
          password.type = password.type === 'password' ? 'text' : 'password';
          reveal.replaceChildren(icon(password.type === 'password' ? 'eye' : 'eye_off', 16));
        },
      },
      icon('eye', 16),
  );
  const transport = h(
      'select.input',
      {name: 'rtsp_transport'},
      ['tcp', 'udp'].map(
          (t) => h('option', {value: t, selected: base.rtsp_transport === t}, t.toUpperCase())),
  );
  const loop = h('input', {type: 'checkbox', name: 'loop', checked: base.loop});
  const password_field = field(
      'password',
      'Password',
      h('div.input-group', password, reveal),
      'Kept out of the URL you see; stored with the camera, never shown again.',
  );
  const transport_field = field('rtsp_transport', 'RTSP transport', transport);
  const loop_field = field('loop', 'Playback', h('label.check', loop, h('span', 'Loop the file at its end')));

  const test_result = h('div.test-result', {role: 'status'});
  const test_button = h(
      'button.btn.btn-secondary',
      {type: 'button', onclick: () => test_connection()},
      icon('plug', 16),
      'Test connection',
  );

  // --- detection ---
  const enabled = h('input', {type: 'checkbox', name: 'enabled', checked: base.enabled});
  const fps = number_input({name: 'fps_limit', value: base.fps_limit, min: 0, step: 0.5});
  const class_select =
      class_picker({options: classes, value: base.classes, empty: 'All classes', name: 'classes'});
  const threshold = h('input.range', {
    type: 'range',
    name: 'score_threshold',
    min: 0.05,
    max: 0.95,
    step: 0.01,
    value: base.score_threshold,
  });
  const threshold_value = h('output.range-value', Number(base.score_threshold).toFixed(2));
  threshold.addEventListener(
      'input', () => (threshold_value.textContent = Number(threshold.value).toFixed(2)));

  const tiling = base.tiling;
  const fixed = tiling && /^\d+x\d+$/.test(tiling.mode);
  const tiling_mode = h(
      'select.input',
      {name: 'tiling'},
      [
        ['', 'Server default'],
        ['adaptive', 'Adaptive — tiles around motion and tracks'],
        ['sahi-auto', 'SAHI auto — fixed grid sized to the frame'],
        ['fixed', 'Fixed tile size…'],
        ['off', 'Off — whole frame only'],
      ]
          .map(
              ([v, label]) =>
                  h('option', {value: v, selected: (tiling ? (fixed ? 'fixed' : tiling.mode) : '') === v},
                    label),
              ),
  );
  const tile_size = h('input.input.mono', {
    name: 'tile_size',
    value: fixed ? tiling.mode : '640x640',
    placeholder: '640x640',
    pattern: '\\d+x\\d+',
  });
  const motion_gating = h('input', {
    type: 'checkbox',
    name: 'motion_gating',
    checked: tiling ? tiling.motion_gating : true,
  });
  const sweep_every = number_input({name: 'sweep_every', value: tiling?.sweep_every ?? 10, min: 1, step: 1});
  const min_object =
      number_input({name: 'min_object_px', value: tiling?.min_object_px ?? 0, min: 0, step: 1});
  const size_field = field('tiling.mode', 'Tile size (W×H px)', tile_size);
  const tiling_details = h(
      'div.tiling-options',
      h(
          'div.row-2',
          field('tiling.sweep_every', 'Every tile at least every N frames', sweep_every),
          field('tiling.min_object_px', 'Smallest object (px, 0: auto)', min_object),
          ),
      field(
          'tiling.motion_gating',
          'Gating',
          h('label.check', motion_gating, h('span', 'Only run tiles where motion and tracked objects are')),
          ),
  );

  // --- events ---
  const event_classes = class_picker({
    options: classes,
    value: base.events.classes,
    empty: 'No events',
    name: 'events.classes',
  });
  const min_score =
      number_input({name: 'events.min_score', value: base.events.min_score, min: 0, max: 1, step: 0.05});
  const confirm_n = number_input({name: 'events.confirm_n', value: base.events.confirm_n, min: 1, step: 1});
  const confirm_m = number_input({name: 'events.confirm_m', value: base.events.confirm_m, min: 1, step: 1});

  const general_error = h('div.form-error', {role: 'alert', hidden: true});
  const form = h(
      'form.camera-form',
      {novalidate: true, onsubmit: (e) => (e.preventDefault(), save())},
      general_error,
      h(
          'section.form-section',
          h('h3', 'Source'),
          field('name', 'Name', name, 'Letters, digits, - and _. Used in URLs and alert topics.'),
          field(
              'url', 'Stream URL', url, 'RTSP, HTTP(S) MJPEG/HLS/MPEG-TS, a video file path or /dev/videoN.'),
          password_field,
          h('div.row-2', transport_field, loop_field),
          h('div.test-row', test_button, test_result),
          ),
      h(
          'section.form-section',
          h('h3', 'Detection'),
          field(
              'enabled', 'Status',
              h('label.switch', enabled, h('span.switch-track'), h('span', 'Run detection on this camera'))),
          h(
              'div.row-2',
              field('fps_limit', 'Processed frames per second', fps, '0: as fast as the machine allows.'),
              field(
                  'score_threshold', 'Confidence threshold', h('div.range-row', threshold, threshold_value)),
              ),
          field('classes', 'Classes to detect', class_select.el, 'Empty: every class the model knows.'),
          field('tiling', 'Small-object tiling', tiling_mode),
          size_field,
          tiling_details,
          ),
      h(
          'section.form-section',
          h('h3', 'Events'),
          field('events.classes', 'Classes that open events', event_classes.el),
          h(
              'div.row-3',
              field('events.min_score', 'Minimum score', min_score),
              field('events.confirm_n', 'Seen in N frames', confirm_n),
              field('events.confirm_m', '…of the last M', confirm_m),
              ),
          ),
  );

  function update_visibility() {
    const scheme = (/^([a-z][a-z0-9+.-]*):\/\//i.exec(url.value.trim())?.[1] || '').toLowerCase();
    password_field.hidden = !scheme;
    transport_field.hidden = !scheme.startsWith('rtsp');
    loop_field.hidden = Boolean(scheme) || !url.value.trim() || url.value.startsWith('/dev/');
    size_field.hidden = tiling_mode.value !== 'fixed';
    tiling_details.hidden = tiling_mode.value === '' || tiling_mode.value === 'off';
  }
  url.addEventListener('input', update_visibility);
  tiling_mode.addEventListener('change', update_visibility);
  update_visibility();

  function clear_errors() {
    form_fields.clear_errors(general_error);
  }

  // "cameras[0].zones[1].points" -> the field whose path is the longest prefix.
  function field_for(path) {
    return form_fields.find(String(path || '').replace(/^cameras\[\d+\]\.?/, '').replace(/\[\d+\]/g, ''));
  }

  function show_error(error) {
    const issues = error.issues?.length ? error.issues : [{path: error.field || '', message: error.message}];
    form_fields.show_issues(issues, {form, general_error, locate: field_for});
  }

  // The body for POST/PUT/test; null (and the error shown) when the form itself is wrong.
  function body() {
    const composed =
        join_credentials(url.value.trim(), password.value || (credentials.password ? kRedacted : ''));
    if (composed === null) {
      show_error(
          {issues: [{path: 'password', message: 'Put the user name in the URL (rtsp://user@host/…)'}]});
      return null;
    }
    const mode = tiling_mode.value;
    return {
      ...base,
      name: name.value.trim(),
      url: composed,
      enabled: enabled.checked,
      fps_limit: Number(fps.value),
      rtsp_transport: transport.value,
      loop: loop.checked,
      classes: class_select.value,
      score_threshold: Number(threshold.value),
      tiling: mode === '' ? null : {
        ...kTilingDefaults,
        ...(base.tiling || {}),
        mode: mode === 'fixed' ? tile_size.value.trim() : mode,
        motion_gating: motion_gating.checked,
        sweep_every: Number(sweep_every.value),
        min_object_px: Number(min_object.value),
      },
      events: {
        ...base.events,
        classes: event_classes.value,
        min_score: Number(min_score.value),
        confirm_n: Number(confirm_n.value),
        confirm_m: Number(confirm_m.value),
      },
    };
  }

  async function test_connection() {
    clear_errors();
    const b = body();
    if (!b) return;
    test_button.disabled = true;
    test_result.className = 'test-result testing';
    test_result.replaceChildren(h('span.spinner.small'), 'Connecting…');
    try {
      // The test needs no name; a half-typed one must not fail it.
      if (!/^[A-Za-z0-9_-]+$/.test(b.name)) delete b.name;
      const r = await api.post('/api/v1/cameras/test', b);
      if (r.ok) {
        test_result.className = 'test-result ok';
        const parts = [
          r.width && r.height ? `${r.width}×${r.height}` : null,
          r.fps ? `${Number(r.fps).toFixed(r.fps % 1 ? 1 : 0)} fps` : null,
          r.codec || null,
          Number.isFinite(r.elapsed_ms) ? `${Math.round(r.elapsed_ms)} ms` : null,
        ].filter(Boolean);
        test_result.replaceChildren(icon('check', 16), h('span', `Connected · ${parts.join(' · ')}`));
      } else {
        test_result.className = 'test-result failed';
        test_result.replaceChildren(icon('alert', 16), h('span', r.error || 'Could not open the stream'));
      }
    } catch (e) {
      test_result.className = 'test-result failed';
      test_result.replaceChildren(icon('alert', 16), h('span', e.message));
      if (e.issues?.length) show_error(e);
    } finally {
      test_button.disabled = false;
    }
  }

  const save_button =
      h('button.btn.btn-primary', {type: 'submit', form: 'camera-form'},
        editing ? 'Save changes' : 'Add camera');
  form.id = 'camera-form';

  async function save() {
    clear_errors();
    const b = body();
    if (!b) return;
    save_button.disabled = true;
    try {
      const saved =
          editing ? await api.put(`/api/v1/cameras/${camera.id}`, b) : await api.post('/api/v1/cameras', b);
      store.put(saved);
      modal.close();
      toast(editing ? `Saved ${saved.name}` : `Added ${saved.name}`);
      on_saved?.(saved);
    } catch (e) {
      show_error(e);
    } finally {
      save_button.disabled = false;
    }
  }

  async function remove() {
    const ok = await confirm_dialog({
      title: `Remove ${camera.name}?`,
      message: 'The camera stops and its settings, zones and masks are deleted. Its recorded events stay.',
      confirm: 'Remove camera',
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/cameras/${camera.id}`);
      store.remove(camera.id);
      modal.close();
      toast(`Removed ${camera.name}`);
      on_deleted?.(camera.id);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  const modal = open_modal({
    title: editing ? `Edit ${camera.name}` : 'Add camera',
    body: form,
    wide: true,
    class_name: 'camera-dialog',
    footer: [
      editing ?
          h('button.btn.btn-danger-ghost', {type: 'button', onclick: remove}, icon('trash', 16), 'Remove') :
          null,
      h('div.spacer'),
      h('button.btn.btn-ghost', {type: 'button', onclick: () => modal.close()}, 'Cancel'),
      save_button,
    ],
  });
  (editing ? url : name).focus();
  return modal;
}
