// Portico's card form for accounts on Stripe: mounts Stripe's card Element in the form, confirms
// the SetupIntent with Stripe.js (the card goes from the browser to Stripe, never to Portico),
// then returns to the portal with the SetupIntent's id, where Portico asks Stripe what was set up.
(function () {
  'use strict';
  var form = document.getElementById('stripe-card');
  if (!form || typeof Stripe !== 'function') return;
  var stripe = Stripe(form.getAttribute('data-key'));
  var card = stripe.elements().create('card');
  card.mount('#card-element');
  var button = form.querySelector('button[type=submit]');
  var errors = document.getElementById('card-errors');
  button.hidden = false;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    button.disabled = true;
    errors.textContent = '';
    stripe.confirmCardSetup(form.getAttribute('data-secret'), { payment_method: { card: card } })
      .then(function (result) {
        if (result.error || !result.setupIntent) {
          errors.className = 'flash bad';
          errors.textContent = form.getAttribute('data-failed');
          button.disabled = false;
          return;
        }
        var back = form.getAttribute('data-return');
        back += (back.indexOf('?') < 0 ? '?' : '&') + 'setup_intent=' + encodeURIComponent(result.setupIntent.id);
        window.location.assign(back);
      });
  });
})();
