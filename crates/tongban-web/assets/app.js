// tongban: progressive enhancement only; every page works without it.
// 适老化: the large-text mode follows the reader from page to page (kept in this browser only).
(function () {
  try { if (localStorage.getItem("tongban-large-text") === "1") { document.documentElement.classList.add("large"); } }
  catch (e) { /* storage refused: the normal size */ }
})();
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-text-size]").forEach(function (b) {
    var root = document.documentElement;
    function show() {
      var on = root.classList.contains("large");
      b.textContent = on ? "标准字号" : "大字版";
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
    b.hidden = false;
    show();
    b.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      try { localStorage.setItem("tongban-large-text", on ? "1" : "0"); } catch (e) { /* kept for this page only */ }
      show();
    });
  });
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
