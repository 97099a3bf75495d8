// tongban: progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // Filters apply as soon as a choice is made.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // A form is sent once, even when the button is pressed twice. (Disabling the buttons instead would drop the
  // pressed button's name and value, which carry the decision, from what is sent.)
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = "1";
    });
  });
});
