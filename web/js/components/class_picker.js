// A multi-select of class names as removable chips with a filtering text box.
//
//   const picker = class_picker({ options: classes, value: ['person'], empty: 'All classes' });
//   form.append(picker.el); ... picker.value  // ['person', 'car']
//
// `allow_new`: Enter also takes a typed name that is not among the options (a zone or
// camera that does not exist yet).
import {color_for, h} from '../dom.js';
import {icon} from '../icons.js';

export function class_picker({options, value = [], empty = 'None', name = '', allow_new = false}) {
  let selected = [...value];
  let active = 0;
  const chips = h('div.picker-chips');
  const input = h('input.picker-input', {
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': name || 'Add a class',
  });
  const menu = h('ul.picker-menu', {role: 'listbox'});
  const el = h('div.picker', {dataset: {name}}, chips, menu);

  function matches() {
    const q = input.value.trim().toLowerCase();
    return options.filter((o) => !selected.includes(o) && o.toLowerCase().includes(q)).slice(0, 50);
  }

  function render() {
    chips.replaceChildren(
        ...selected.map(
            (c) => h(
                'span.chip',
                {dataset: {value: c}, style: {'--chip': color_for(c)}},
                c,
                h(
                    'button.chip-x',
                    {type: 'button', 'aria-label': `Remove ${c}`, onclick: () => remove(c)},
                    icon('x', 12),
                    ),
                ),
            ),
        input,
    );
    input.placeholder = selected.length ? 'Add…' : empty;
  }

  function render_menu() {
    const list = matches();
    active = Math.min(active, Math.max(0, list.length - 1));
    menu.replaceChildren(
        ...list.map(
            (o, i) => h(
                'li.picker-option',
                {
                  role: 'option',
                  class: i === active ? 'active' : '',
                  dataset: {value: o},
                  onmousedown: (e) => {
                    e.preventDefault();
                    add(o);
                  },
                },
                o,
                ),
            ),
    );
    el.classList.toggle('open', document.activeElement === input && list.length > 0);
  }

  function add(c) {
    if (!selected.includes(c)) selected.push(c);
    input.value = '';
    render();
    input.focus();
    render_menu();
    el.dispatchEvent(new Event('change', {bubbles: true}));
  }

  function remove(c) {
    selected = selected.filter((s) => s !== c);
    render();
    render_menu();
    el.dispatchEvent(new Event('change', {bubbles: true}));
  }

  input.addEventListener('focus', render_menu);
  input.addEventListener('blur', () => el.classList.remove('open'));
  input.addEventListener('input', () => {
    active = 0;
    render_menu();
  });
  input.addEventListener('keydown', (e) => {
    const list = matches();
    if (e.key === 'ArrowDown')
      active = Math.min(active + 1, list.length - 1);
    else if (e.key === 'ArrowUp')
      active = Math.max(active - 1, 0);
    else if (e.key === 'Enter') {
      e.preventDefault();
      if (list[active])
        add(list[active]);
      else if (allow_new && input.value.trim() && !selected.includes(input.value.trim()))
        add(input.value.trim());
      return;
    } else if (e.key === 'Backspace' && !input.value && selected.length) {
      remove(selected[selected.length - 1]);
      return;
    } else
      return;
    e.preventDefault();
    render_menu();
  });
  el.addEventListener('click', () => input.focus());
  render();

  return {
    el,
    get value() {
      return [...selected];
    },
    set value(v) {
      selected = [...v];
      render();
    },
  };
}
