// The controls under a paged list (events, alert deliveries): "first–last of total", a page
// size, and Newer / Older. `on_change` gets what changes in the list's query: `{offset}` for
// another page, `{offset: 0, limit}` for another size (limit '' for the default, first size, so
// it stays out of the URL).
import {h} from '../dom.js';
import {icon} from '../icons.js';

export function render_pager(nav, {total, offset, limit, shown, sizes, label, on_change}) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const current = Math.floor(offset / limit) + 1;
  const go = (page) => on_change({offset: (page - 1) * limit});
  const size = h(
      'select.input.input-small',
      {
        'aria-label': `${label} per page`,
        onchange: (e) =>
            on_change({offset: 0, limit: Number(e.target.value) === sizes[0] ? '' : e.target.value}),
      },
      sizes.map((n) => h('option', {value: n, selected: n === limit}, `${n} per page`)),
  );
  nav.replaceChildren(
      h('span.pager-info', total ? `${offset + 1}–${offset + shown} of ${total.toLocaleString()}` : ''),
      h('div.spacer'),
      size,
      h('button.btn.btn-ghost.btn-small', {
        type: 'button',
        disabled: current <= 1,
        onclick: () => go(current - 1),
        'aria-label': 'Previous page'
      },
        icon('chevron_left', 16), 'Newer'),
      h('span.pager-page', `Page ${current} of ${pages}`),
      h('button.btn.btn-ghost.btn-small', {
        type: 'button',
        disabled: current >= pages,
        onclick: () => go(current + 1),
        'aria-label': 'Next page'
      },
        'Older', icon('chevron_right', 16)),
  );
}
