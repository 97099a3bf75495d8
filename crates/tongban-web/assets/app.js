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
  // A table marked sortable sorts by a column when its heading is pressed (again: the other way). Numbers (counts,
  // rates, days) sort as numbers, the rest as text in Chinese order; the server's order is the first one shown.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || !table.tHead) { return; }
    var heads = table.tHead.rows[0].cells;
    function key(row, i) {
      var cell = row.cells[i];
      var t = cell ? cell.textContent.trim() : "";
      var n = parseFloat(t.replace(/[%,，天件]/g, ""));
      return { num: /^-?[\d.]/.test(t) && !isNaN(n) ? n : null, text: t };
    }
    Array.prototype.forEach.call(heads, function (th, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > 1; });
        rows.sort(function (a, b) {
          var x = key(a, i), y = key(b, i), c;
          if (x.num !== null && y.num !== null) { c = x.num - y.num; }
          else { c = x.text.localeCompare(y.text, "zh-CN"); }
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
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
