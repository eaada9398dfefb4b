// Portico's page for the bank's check of a card payment on Stripe: Stripe.js takes the customer
// through the check of the PaymentIntent, then the page returns to the invoice, where Portico
// asks Stripe how the payment ended (whatever the browser says).
(function () {
  'use strict';
  var form = document.getElementById('stripe-step');
  if (!form || typeof Stripe !== 'function') return;
  var stripe = Stripe(form.getAttribute('data-key'));
  var secret = form.getAttribute('data-secret');
  var button = form.querySelector('button[type=submit]');
  button.hidden = false;
  function back(result) {
    var url = form.getAttribute('data-return');
    var intent = result && result.paymentIntent;
    if (intent && intent.id) url += '?payment_intent=' + encodeURIComponent(intent.id);
    window.location.assign(url);
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    button.disabled = true;
    // handleNextAction is Stripe.js's call for a PaymentIntent confirmed by the server; a
    // Stripe.js without it (the test stand-in) does the same with confirmCardPayment.
    var step = typeof stripe.handleNextAction === 'function'
      ? stripe.handleNextAction({ clientSecret: secret })
      : stripe.confirmCardPayment(secret);
    Promise.resolve(step).then(back, function () { back(null); });
  });
})();
