// The sign-in page, shown instead of the app when /api/v1/auth says it is required.
// POST /api/v1/login sets the session cookie (used by images, MJPEG and the
// WebSocket); the returned token is also kept for this tab's API calls.
import {api, set_token} from '../api.js';
import {h, mount} from '../dom.js';
import {icon} from '../icons.js';

export function render(root, on_success) {
  const username =
      h('input.input', {name: 'username', autocomplete: 'username', required: true, autofocus: true});
  const password = h(
      'input.input', {name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const error = h('div.form-error', {role: 'alert', hidden: true});
  const submit = h('button.btn.btn-primary.btn-block', {type: 'submit'}, 'Sign in');

  async function sign_in(e) {
    e.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const {token} = await api.post('/api/v1/login', {username: username.value, password: password.value});
      set_token(token || '');
      on_success();
    } catch (err) {
      error.hidden = false;
      error.replaceChildren(
          icon('alert', 16),
          h('span', err.status === 401 ? 'Wrong user name or password.' : err.message),
      );
      password.select();
    } finally {
      submit.disabled = false;
    }
  }

  mount(
      root,
      h(
          'div.login',
          h(
              'form.login-card',
              {onsubmit: sign_in},
              h('div.login-brand', h('span.brand-mark', icon('logo', 28)), h('span.brand-name', 'tilescope')),
              h('p.login-sub', 'Sign in to watch your cameras and review events.'),
              error,
              h('label.field', h('span.field-label', 'User name'), username),
              h('label.field', h('span.field-label', 'Password'), password),
              submit,
              h('p.login-foot', icon('lock', 14), 'Access to this server requires an account.'),
              ),
          ),
  );
  username.focus();
}
