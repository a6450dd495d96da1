// The Civic Ledger — small UI helpers
document.addEventListener('DOMContentLoaded', function () {
  var c = document.getElementById('cookie-consent');
  if (c) {
    c.querySelectorAll('button').forEach(function (b) {
      b.addEventListener('click', function () { c.style.display = 'none'; });
    });
  }
  document.querySelectorAll('.copy-link').forEach(function (b) {
    b.addEventListener('click', function () {
      if (navigator.clipboard) navigator.clipboard.writeText(b.getAttribute('data-url') || location.href);
      b.textContent = 'Link copied';
    });
  });
});
