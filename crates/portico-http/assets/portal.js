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

// Billing details: the region field follows the country select (a list for countries whose post
// needs a region, free text elsewhere); without the script the server shows the right one.
(function () {
  'use strict';
  var country = document.querySelector('[data-region-country]');
  if (!country) return;
  function follow() {
    var listed = document.querySelector('[data-region-for="' + country.value + '"]');
    document.querySelectorAll('[data-region-for]').forEach(function (field) {
      var shown = listed ? field === listed : field.getAttribute('data-region-for') === '';
      field.hidden = !shown;
      var control = field.querySelector('select, input');
      control.disabled = !shown;
      if (control.tagName === 'SELECT') control.required = shown;
    });
  }
  country.addEventListener('change', follow);
})();
