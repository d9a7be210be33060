// "/login": checks a token with POST /api/v1/login, which answers with the sg_token cookie
// (HttpOnly: the page never keeps the token itself). ?next= is where to go afterwards.
import { post } from '../api.js';
import { fill, h } from '../dom.js';
import { navigate } from '../nav.js';

export function loginPage(el, _params, query) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off',
    required: true, placeholder: 'token', 'aria-label': 'token' });
  const message = h('p', { class: 'login-message', id: 'login-message', role: 'status' });
  const form = h('form', { class: 'login' },
    h('h1', {}, 'Log in'),
    h('p', {}, 'Paste a token of any role (reader is enough): ',
      h('code', {}, 'sg-coordinator token create --name NAME --role reader'), ' prints one.'),
    input, h('button', { type: 'submit' }, 'Log in'), message);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fill(message, 'Checking…');
    message.className = 'login-message';
    try {
      await post('login', { token: input.value.trim() });
    } catch (err) {
      message.className = 'login-message refused';
      fill(message, `Refused: ${err.message}`);
      return;
    }
    const next = query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
  });
  fill(el, form);
  return { title: 'Log in', live: false, async refresh() {} };
}
