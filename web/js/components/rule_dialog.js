// Add / edit an alert rule: every field of alerts::Rule (README "Alerts", rule table).
//
//   open_rule_dialog({ rule, sinks, on_saved })   // rule: null to add one
//
// Saving replaces the whole list (PUT /api/v1/alerts/rules) read fresh just before, so
// a rename is one step and a duplicate name is the server's error like any other. The
// server validates: its issues come back as "rules[3].cooldown_per_track_s", and the
// ones of the rule being edited are shown next to their field ("cooldown_per_track_s",
// "confirm.n", "schedule[0].to"); the rest go to the box at the top of the form.
import {api} from '../api.js';
import {h} from '../dom.js';
import {icon} from '../icons.js';
import {store} from '../store.js';

import {class_picker} from './class_picker.js';
import {FormFields} from './form_fields.js';
import {open_modal} from './modal.js';
import {toast} from './toast.js';

// The defaults of alerts::Rule.
export const kRuleDefaults = {
  name: '',
  enabled: true,
  cameras: [],
  classes: [],
  min_score: 0,
  zones: [],
  zone_mode: 'inside',
  min_duration_s: 0,
  confirm: null,
  cooldown_per_track_s: 0,
  cooldown_per_camera_s: 0,
  schedule: [],
  severity: 'warning',
  sinks: [],
  notify_on_end: false,
};
export const kDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const kDayLabels = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const kRulesPath = '/api/v1/alerts/rules';

function number_input(attrs) {
  return h('input.input', {type: 'number', inputmode: 'decimal', ...attrs});
}

// "rules[3].confirm.n" -> {index: 3, path: "confirm.n"}; other paths -> index -1.
export function split_rule_path(path) {
  const m = /^rules\[(\d+)\]\.?(.*)$/.exec(String(path || ''));
  return m ? {index: Number(m[1]), path: m[2]} : {index: -1, path: String(path || '')};
}

export async function open_rule_dialog({rule = null, sinks = [], on_saved} = {}) {
  const [classes] = await Promise.all([store.load_classes().catch(() => []), store.ready().catch(() => {})]);
  const cameras = store.list();
  const base = structuredClone({...kRuleDefaults, ...(rule || {})});
  const editing = Boolean(rule);
  const form_fields = new FormFields('rule');
  const fields = form_fields.fields;  // path -> .field element
  const field = (...a) => form_fields.field(...a);

  // --- what ---
  const name = h('input.input', {
    name: 'name',
    value: base.name,
    placeholder: 'person at the back door',
    autocomplete: 'off',
    required: true,
  });
  const enabled = h('input', {type: 'checkbox', name: 'enabled', checked: base.enabled});
  const camera_picker = class_picker({
    options: cameras.map((c) => c.name),
    value: base.cameras,
    empty: 'Every camera',
    name: 'cameras',
    allow_new: true,
  });
  const class_select =
      class_picker({options: classes, value: base.classes, empty: 'Every class', name: 'classes'});
  const min_score =
      number_input({name: 'min_score', value: base.min_score, min: 0, max: 1, step: 0.05, placeholder: '0'});
  const zone_names = [...new Set(cameras.flatMap((c) => (c.zones || []).map((z) => z.name)))].sort();
  const zone_picker = class_picker({
    options: zone_names,
    value: base.zones,
    empty: 'Anywhere in the frame',
    name: 'zones',
    allow_new: true
  });
  const zone_mode = h(
      'select.input',
      {name: 'zone_mode'},
      [
        ['inside', 'Inside — is or was in a zone during the event'],
        ['enter', 'Enter — crossed into a zone from outside'],
      ].map(([v, label]) => h('option', {value: v, selected: base.zone_mode === v}, label)),
  );

  // --- when ---
  const trigger_kind = base.confirm ? 'confirm' : base.min_duration_s > 0 ? 'duration' : 'now';
  const trigger = h(
      'select.input',
      {name: 'trigger'},
      [
        ['now', 'As soon as the event matches'],
        ['duration', 'After the event lasted…'],
        ['confirm', 'When seen in N of the last M frames…'],
      ].map(([v, label]) => h('option', {value: v, selected: trigger_kind === v}, label)),
  );
  const min_duration =
      number_input({name: 'min_duration_s', value: base.min_duration_s || 3, min: 0, step: 0.5});
  const confirm_n = number_input({name: 'confirm.n', value: base.confirm?.n ?? 3, min: 1, step: 1});
  const confirm_m = number_input({name: 'confirm.m', value: base.confirm?.m ?? 5, min: 1, step: 1});
  const duration_field = field('min_duration_s', 'Minimum duration (s)', min_duration);
  const confirm_row =
      h('div.row-2', field('confirm.n', 'Seen in N frames', confirm_n),
        field('confirm.m', '…of the last M', confirm_m));
  const cooldown_track = number_input(
      {name: 'cooldown_per_track_s', value: base.cooldown_per_track_s, min: 0, step: 1, placeholder: '0'});
  const cooldown_camera = number_input(
      {name: 'cooldown_per_camera_s', value: base.cooldown_per_camera_s, min: 0, step: 1, placeholder: '0'});

  // Time windows: one row each (days, from, to).
  const windows = h('div.schedule-list');
  const windows_empty = h('div.field-hint.schedule-empty', 'Always active: no time windows.');
  const window_rows = [];
  function add_window(w = {days: kDays.slice(0, 5), from: '', to: ''}) {
    const row = {days: new Set(w.days || kDays)};
    const index = () => window_rows.indexOf(row);
    const day_buttons = kDays.map(
        (d, i) =>
            h('button.day-toggle', {
              type: 'button',
              'aria-pressed': String(row.days.has(d)),
              dataset: {day: d},
              onclick: (e) => {
                row.days.has(d) ? row.days.delete(d) : row.days.add(d);
                e.currentTarget.setAttribute('aria-pressed', String(row.days.has(d)));
              },
            },
              kDayLabels[i]));
    const clock = (key, value, placeholder) => h('input.input.mono.clock-input', {
      name: `schedule.${key}`,
      value: value === '00:00' && key === 'from' ? '' :
          value === '24:00' && key === 'to'      ? '' :
                                                   value || '',
      placeholder,
      'aria-label': key === 'from' ? 'From (HH:MM)' : 'To (HH:MM)',
      autocomplete: 'off',
      inputmode: 'numeric',
    });
    row.from = clock('from', w.from, '00:00');
    row.to = clock('to', w.to, '24:00');
    row.el = h(
        'div.schedule-row',
        h('div.day-toggles', {role: 'group', 'aria-label': 'Days'}, day_buttons),
        h('div.schedule-clock', row.from, h('span.muted', 'to'), row.to),
        h('button.icon-btn.small', {
          type: 'button',
          'aria-label': 'Remove this window',
          onclick: () => {
            window_rows.splice(index(), 1);
            row.el.remove();
            renumber();
          },
        },
          icon('trash', 16)),
        h('div.field-error', {role: 'alert'}),
    );
    window_rows.push(row);
    windows.append(row.el);
    renumber();
  }
  // Error paths carry the window's index: keep the map in step with the rows.
  function renumber() {
    for (const key of [...fields.keys()])
      if (key.startsWith('schedule[')) fields.delete(key);
    window_rows.forEach((row, i) => {
      row.el.dataset.path = `schedule[${i}]`;
      fields.set(`schedule[${i}]`, row.el);
    });
    windows_empty.hidden = window_rows.length > 0;
  }
  base.schedule.forEach((w) => add_window(w));
  renumber();

  // --- where ---
  const sink_names = sinks.map((s) => s.name);
  const sink_picker =
      class_picker({options: sink_names, value: base.sinks, empty: 'Choose at least one', name: 'sinks'});
  const severity = h(
      'select.input',
      {name: 'severity'},
      ['info', 'warning', 'critical'].map(
          (v) => h('option', {value: v, selected: base.severity === v}, v[0].toUpperCase() + v.slice(1))),
  );
  const notify_on_end = h('input', {type: 'checkbox', name: 'notify_on_end', checked: base.notify_on_end});

  const general_error = h('div.form-error', {role: 'alert', hidden: true});
  const form = h(
      'form.rule-form#rule-form',
      {novalidate: true, onsubmit: (e) => (e.preventDefault(), save())},
      general_error,
      h(
          'section.form-section',
          h('h3', 'What'),
          h('div.row-2', field('name', 'Name', name, 'Shown in alerts and deliveries.'),
            field(
                'enabled', 'Status',
                h('label.switch', enabled, h('span.switch-track'), h('span', 'Rule is active')))),
          field('cameras', 'Cameras', camera_picker.el, 'Empty: every camera.'),
          h('div.row-2', field('classes', 'Classes', class_select.el, 'Empty: every class.'),
            field('min_score', 'Minimum score (0–1)', min_score, 'The event\'s best score must reach it.')),
          h('div.row-2', field('zones', 'Zones', zone_picker.el, 'Enter adds a name not in the list.'),
            field('zone_mode', 'Zone condition', zone_mode)),
          ),
      h(
          'section.form-section',
          h('h3', 'When'),
          field('trigger', 'Fire', trigger),
          duration_field,
          confirm_row,
          h('div.row-2',
            field(
                'cooldown_per_track_s', 'Cooldown per track (s)', cooldown_track,
                'After an alert, other events of the same track stay quiet.'),
            field(
                'cooldown_per_camera_s', 'Cooldown per camera (s)', cooldown_camera,
                'After an alert, other events of the camera stay quiet.')),
          h(
              'div.field',
              {dataset: {path: 'schedule'}},
              h('span.field-label', 'Time windows'),
              windows_empty,
              windows,
              h('div.field-hint',
                'Local time of the server. Days are the days a window starts; a window whose end is before its start runs overnight.'),
              h('button.btn.btn-ghost.btn-small.add-window', {type: 'button', onclick: () => add_window()},
                icon('plus', 14), 'Add time window'),
              h('div.field-error', {role: 'alert'}),
              ),
          ),
      h(
          'section.form-section',
          h('h3', 'Where'),
          h('div.row-2', field('sinks', 'Send to', sink_picker.el), field('severity', 'Severity', severity)),
          field(
              'notify_on_end', 'Event end',
              h('label.check', notify_on_end,
                h('span', 'Also alert when the event ends (final best snapshot)'))),
          ),
  );
  fields.set('schedule', form.querySelector('.field[data-path="schedule"]'));

  function update_visibility() {
    duration_field.hidden = trigger.value !== 'duration';
    confirm_row.hidden = trigger.value !== 'confirm';
  }
  trigger.addEventListener('change', update_visibility);
  update_visibility();

  function clear_errors() {
    form_fields.clear_errors(general_error);
  }

  // "schedule[1].days[2]" -> the field whose path is the longest prefix, with indexes
  // first ("schedule[1]"), then without them ("cameras[0]" -> "cameras").
  function field_for(path) {
    return form_fields.find(path) || form_fields.find(path.replace(/\[\d+\]/g, ''));
  }

  // issues: [{path (relative to the rule), message}]
  function show_issues(issues) {
    form_fields.show_issues(issues, {form, general_error, locate: field_for});
  }

  // The number in an <input type=number>: its default when empty, NaN when the text is not
  // a number (the browser reports an empty value then).
  function number_of(input, fallback) {
    if (input.validity.badInput) return NaN;
    return input.value.trim() === '' ? fallback : Number(input.value);
  }

  // The rule JSON; null (and the problems shown) when the form itself is not a rule.
  function body() {
    const local = [];
    const number = (input, path, fallback) => {
      const value = number_of(input, fallback);
      if (Number.isNaN(value)) local.push({path, message: 'expected a number'});
      return value;
    };
    const mode = trigger.value;
    const out = {
      ...base,
      name: name.value.trim(),
      enabled: enabled.checked,
      cameras: camera_picker.value,
      classes: class_select.value,
      min_score: number(min_score, 'min_score', 0),
      zones: zone_picker.value,
      zone_mode: zone_mode.value,
      min_duration_s: mode === 'duration' ? number(min_duration, 'min_duration_s', 0) : 0,
      confirm: mode === 'confirm' ?
          {n: number(confirm_n, 'confirm.n', 0), m: number(confirm_m, 'confirm.m', 0)} :
          null,
      cooldown_per_track_s: number(cooldown_track, 'cooldown_per_track_s', 0),
      cooldown_per_camera_s: number(cooldown_camera, 'cooldown_per_camera_s', 0),
      schedule: window_rows.map((row) => {
        const w = {days: kDays.filter((d) => row.days.has(d))};
        if (row.from.value.trim()) w.from = row.from.value.trim();
        if (row.to.value.trim()) w.to = row.to.value.trim();
        return w;
      }),
      severity: severity.value,
      sinks: sink_picker.value,
      notify_on_end: notify_on_end.checked,
    };
    if (local.length) {
      show_issues(local);
      return null;
    }
    return out;
  }

  const save_button =
      h('button.btn.btn-primary', {type: 'submit', form: 'rule-form'}, editing ? 'Save changes' : 'Add rule');

  async function save() {
    clear_errors();
    const b = body();
    if (!b) return;
    save_button.disabled = true;
    try {
      // Read-modify-write of the list as it is now (another tab may have changed it).
      const {rules} = await api.get(kRulesPath);
      let index = editing ? rules.findIndex((r) => r.name === rule.name) : -1;
      if (index < 0) index = rules.length;
      rules[index] = b;
      try {
        await api.put(kRulesPath, {rules});
      } catch (e) {
        const issues = e.issues?.length ? e.issues : [{path: e.field || '', message: e.message}];
        if (!issues.some((i) => i.path)) throw e;
        show_issues(issues.map((i) => {
          const {index: at, path} = split_rule_path(i.path);
          return at === index ? {path, message: i.message} : {path: i.path, message: i.message};
        }));
        return;
      }
      modal.close();
      toast(editing ? `Saved rule "${b.name}"` : `Added rule "${b.name}"`);
      on_saved?.(b);
    } catch (e) {
      show_issues([{path: '', message: e.message}]);
    } finally {
      save_button.disabled = false;
    }
  }

  const modal = open_modal({
    title: editing ? `Edit rule "${rule.name}"` : 'Add alert rule',
    body: form,
    wide: true,
    class_name: 'rule-dialog',
    footer: [
      h('div.spacer'),
      h('button.btn.btn-ghost', {type: 'button', onclick: () => modal.close()}, 'Cancel'),
      save_button,
    ],
  });
  name.focus();
  return modal;
}
