// tongban: progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", function () {
  // Filters apply as soon as a choice is made.
  document.querySelectorAll("form.filters select").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // An application form asks for a conditional field only while its condition holds (the server checks the same).
  document.querySelectorAll("form.apply").forEach(function (f) {
    function value(name) {
      var picked = [];
      f.querySelectorAll("[name='" + name + "']").forEach(function (el) {
        if ((el.type === "checkbox" || el.type === "radio") ? el.checked : true) { picked.push(el.value); }
      });
      return picked;
    }
    function update() {
      f.querySelectorAll("[data-show-field]").forEach(function (d) {
        d.hidden = value(d.dataset.showField).indexOf(d.dataset.showEquals) < 0;
      });
    }
    f.addEventListener("change", update);
    update();
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
