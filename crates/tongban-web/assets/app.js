// tongban: progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // Filters apply as soon as a choice is made.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // A form is sent once, even when the button is pressed twice.
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function () {
      f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });
});
