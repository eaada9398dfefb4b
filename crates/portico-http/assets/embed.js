/*! Portico embed: opens a portal link in a modal iframe on the vendor's page and passes the
 * portal's events on as DOM events on `window`: portico:ready, portico:close, portico:logout, and
 * after an action portico:subscription.updated, portico:subscription.canceled,
 * portico:payment_method.updated or portico:customer.updated.
 *
 *   <script src="https://billing.example.com/embed.js" defer></script>
 *   <a href="PORTAL_LINK" data-portico-open>Billing</a>
 *   or Portico.open(link, { onEvent: function (type, detail) {}, title: 'Billing', closeLabel: 'Close' })
 */
(function () {
  'use strict';
  var EVENTS = ['portico:ready', 'portico:close', 'portico:logout', 'portico:subscription.updated',
    'portico:subscription.canceled', 'portico:payment_method.updated', 'portico:customer.updated'];
  var current = null;

  function css(el, styles) { for (var k in styles) el.style[k] = styles[k]; return el; }

  function emit(type, detail, options) {
    window.dispatchEvent(new CustomEvent(type, { detail: detail }));
    if (options && typeof options.onEvent === 'function') options.onEvent(type, detail);
  }

  function close() {
    if (!current) return;
    var c = current;
    current = null;
    window.removeEventListener('message', c.onMessage);
    document.removeEventListener('keydown', c.onKey);
    c.overlay.parentNode && c.overlay.parentNode.removeChild(c.overlay);
    document.documentElement.style.overflow = c.overflow;
    if (c.opener && c.opener.focus) c.opener.focus();
  }

  function open(url, options) {
    options = options || {};
    close();
    var origin = new URL(url, location.href).origin;
    var overlay = css(document.createElement('div'), {
      position: 'fixed', inset: '0', background: 'rgba(15,23,42,.55)', zIndex: '2147483000',
      display: 'flex', alignItems: 'center', justifyContent: 'center', padding: '16px'
    });
    overlay.className = 'portico-overlay';
    var dialog = css(document.createElement('div'), {
      position: 'relative', width: '100%', maxWidth: '1000px', height: '100%', maxHeight: '860px',
      background: '#fff', borderRadius: '12px', overflow: 'hidden', boxShadow: '0 20px 60px rgba(0,0,0,.35)'
    });
    dialog.setAttribute('role', 'dialog');
    dialog.setAttribute('aria-modal', 'true');
    dialog.setAttribute('aria-label', options.title || 'Billing');
    var button = css(document.createElement('button'), {
      position: 'absolute', top: '8px', right: '8px', width: '36px', height: '36px', border: '0',
      borderRadius: '18px', background: '#111827', color: '#fff', font: '20px/1 system-ui,sans-serif', cursor: 'pointer'
    });
    button.type = 'button';
    button.textContent = '\u00d7';
    button.setAttribute('aria-label', options.closeLabel || 'Close');
    var frame = css(document.createElement('iframe'), { width: '100%', height: '100%', border: '0', display: 'block' });
    frame.src = url;
    frame.title = options.title || 'Billing';
    frame.className = 'portico-frame';
    dialog.appendChild(frame);
    dialog.appendChild(button);
    overlay.appendChild(dialog);

    var c = {
      overlay: overlay, frame: frame, opener: options.opener || document.activeElement,
      overflow: document.documentElement.style.overflow,
      onMessage: function (e) {
        if (e.origin !== origin || e.source !== frame.contentWindow) return;
        var type = e.data && e.data.type;
        if (EVENTS.indexOf(type) < 0) return;
        emit(type, { path: String(e.data.path || '') }, options);
        if (type === 'portico:close') close();
      },
      onKey: function (e) {
        if (e.key === 'Escape') { emit('portico:close', { path: '' }, options); close(); }
      }
    };
    button.addEventListener('click', function () { emit('portico:close', { path: '' }, options); close(); });
    overlay.addEventListener('click', function (e) {
      if (e.target === overlay) { emit('portico:close', { path: '' }, options); close(); }
    });
    window.addEventListener('message', c.onMessage);
    document.addEventListener('keydown', c.onKey);
    document.documentElement.style.overflow = 'hidden';
    document.body.appendChild(overlay);
    current = c;
    button.focus();
    return { close: close, frame: frame };
  }

  window.Portico = { open: open, close: close };
  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('[data-portico-open]');
    if (!link) return;
    var url = link.getAttribute('data-portico-open') || link.getAttribute('href');
    if (!url) return;
    e.preventDefault();
    open(url, { opener: link, title: link.getAttribute('data-portico-title') || undefined });
  });
})();
