// Navigation between the dashboard's URLs without reloading the page. main.js registers the
// function that draws the page for the current URL.
let renderCurrent = () => {};

export function setRenderer(fn) {
  renderCurrent = fn;
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  renderCurrent();
}

// Replaces the current URL's query without drawing the page again (a picker's state, so that the
// URL shares it).
export function setQuery(params) {
  const qs = new URLSearchParams(params).toString();
  history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}`);
}
