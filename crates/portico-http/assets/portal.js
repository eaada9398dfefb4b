// Portico portal pages: tells a framing vendor page (only one of the account's allowed origins)
// that the portal is ready, closed or logged out (the logged-out page says so on load), and what
// an action changed. Pages work the same without it.
(function () {
  'use strict';
  if (window.parent === window) return;
  var meta = document.querySelector('meta[name="portico-origins"]');
  var origins = meta ? meta.content.split(' ').filter(Boolean) : [];
  function send(type) {
    origins.forEach(function (origin) {
      try { window.parent.postMessage({ type: type, path: location.pathname }, origin); } catch (e) { /* bad origin */ }
    });
  }
  document.documentElement.className += ' framed';
  send(document.body.getAttribute('data-portico-event') || 'portico:ready');
  // After an action, the page it led to names what changed (portico:subscription.updated, …).
  var action = document.querySelector('[data-portico-action]');
  if (action) send(action.getAttribute('data-portico-action'));
  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('[data-portico-close]');
    if (link && origins.length) { e.preventDefault(); send('portico:close'); }
  });
})();
