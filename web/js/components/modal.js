// Modal dialogs on <dialog>: open_modal({title, body, footer, wide}) and confirm_dialog.
import {h} from '../dom.js';
import {icon} from '../icons.js';

// Returns {dialog, close}. `on_close` runs once however it is closed (Esc, button, close()).
export function open_modal({title, body, footer, wide = false, class_name = '', on_close}) {
  const dialog = h(
      'dialog.modal',
      {class: [wide ? 'modal-wide' : '', class_name].join(' ')},
      h(
          'header.modal-header',
          h('h2', title),
          h('button.icon-btn', {type: 'button', 'aria-label': 'Close', onclick: () => close()}, icon('x')),
          ),
      h('div.modal-body', body),
      footer ? h('footer.modal-footer', footer) : null,
  );
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    on_close?.();
  }
  dialog.addEventListener('close', close);
  // A click on the backdrop (outside the dialog box) closes it.
  dialog.addEventListener('mousedown', (e) => {
    if (e.target === dialog) {
      const r = dialog.getBoundingClientRect();
      const inside =
          e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
      if (!inside) close();
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  return {dialog, close};
}

// Resolves true when confirmed.
export function confirm_dialog({title, message, confirm = 'Delete', danger = true}) {
  return new Promise((resolve) => {
    let result = false;
    const ok = h(
        'button.btn',
        {
          type: 'button',
          class: danger ? 'btn-danger' : 'btn-primary',
          onclick: () => {
            result = true;
            modal.close();
          },
        },
        confirm,
    );
    const modal = open_modal({
      title,
      body: h('p.confirm-text', message),
      footer: [h('button.btn.btn-ghost', {type: 'button', onclick: () => modal.close()}, 'Cancel'), ok],
      class_name: 'modal-small',
      on_close: () => resolve(result),
    });
    ok.focus();
  });
}
