// The fields of a dialog form that the server validates (cameras, alert rules): each .field
// knows its API path, and the issues of a 400 answer land next to the field they name, or,
// when no shown field matches, in the form's general error box.
import {h} from '../dom.js';
import {icon} from '../icons.js';

export class FormFields {
  constructor(id_prefix) {
    this.id_prefix_ = id_prefix;
    this.fields = new Map();  // API path -> .field element
  }

  // A labelled field; the label names the first control inside (for screen readers and
  // getByLabel).
  field(path, label, control, hint) {
    const input = control.matches('input, select') ? control : control.querySelector('input, select');
    if (input && !input.id) input.id = `${this.id_prefix_}-${path.replace(/\W/g, '-')}`;
    const el = h(
        'div.field',
        {dataset: {path}},
        h('label.field-label',
          {for: input ? input.id : null
          },
          label),
        control,
        hint ? h('div.field-hint', hint) : null,
        h('div.field-error', {role: 'alert'}),
    );
    this.fields.set(path, el);
    return el;
  }

  // The shown field whose path is the longest prefix of `path` ("a.b" and "a[1]" are under "a").
  find(path) {
    let best = null;
    for (const [key, el] of this.fields) {
      if (el.closest('[hidden]')) continue;  // a field not shown cannot show its error
      const hit = path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
      if (hit && (!best || key.length > best.length)) best = key;
    }
    return best ? this.fields.get(best) : null;
  }

  clear_errors(general_error) {
    general_error.hidden = true;
    general_error.replaceChildren();
    for (const el of this.fields.values()) {
      el.classList.remove('invalid');
      el.querySelector(':scope > .field-error').textContent = '';
    }
  }

  // issues: [{path, message}]; locate(path) -> the field element for a path, or null.
  show_issues(issues, {form, general_error, locate}) {
    const unplaced = [];
    for (const issue of issues) {
      const el = issue.path ? locate(issue.path) : null;
      if (el) {
        el.classList.add('invalid');
        const slot = el.querySelector(':scope > .field-error');
        slot.textContent = slot.textContent ? `${slot.textContent}; ${issue.message}` : issue.message;
      } else {
        unplaced.push(issue.path ? `${issue.path}: ${issue.message}` : issue.message);
      }
    }
    if (unplaced.length) {
      general_error.hidden = false;
      general_error.replaceChildren(icon('alert', 16), h('div', unplaced.map((m) => h('div', m))));
    }
    form.querySelector('.invalid input, .invalid select, .form-error:not([hidden])')?.scrollIntoView({
      block: 'center',
      behavior: 'smooth',
    });
  }
}
