// Repeating rows in forms (forms/rows.py): "add a row" and "remove this row" buttons.
// Served as a file: the Content-Security-Policy allows no inline script. Without it the page
// still works: it offers empty rows, and empty rows are skipped when the form is sent.
(function () {
  "use strict";
  var CELL = /^([A-Za-z_]\w*)\.\d+\.([A-Za-z_]\w*)$/;

  function renumber(box) {
    var form = box.getAttribute("data-form-key");
    var field = box.getAttribute("data-rows");
    var rows = box.querySelectorAll(":scope > .gd-row");
    rows.forEach(function (row, i) {
      var base = "f-" + form + "-" + field + "-" + i;
      row.setAttribute("data-row", String(i));
      row.id = base;
      var no = row.querySelector(".gd-row-no");
      if (no) { no.textContent = String(i + 1); }
      row.querySelectorAll("[name]").forEach(function (el) {
        var m = CELL.exec(el.name);
        if (!m) { return; }
        el.name = m[1] + "." + i + "." + m[2];
        var id = base + "-" + m[2];
        var label = row.querySelector('label[for="' + el.id + '"]');
        if (label) { label.setAttribute("for", id); }
        el.id = id;
        var holder = el.closest(".gd-field");
        if (holder) { holder.setAttribute("data-field", el.name); }
      });
    });
  }

  function blank(row) {
    row.classList.remove("gd-has-error");
    row.style.removeProperty("border");
    row.querySelectorAll(".gd-error").forEach(function (p) { p.remove(); });
    row.querySelectorAll(".gd-has-error").forEach(function (el) {
      el.classList.remove("gd-has-error");
    });
    row.querySelectorAll("input, select, textarea").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") { el.selectedIndex = 0; }
      else { el.value = ""; }
    });
  }

  function setUp(box) {
    var add = box.querySelector(":scope > [data-rows-add]");
    if (!add) { return; }
    add.hidden = false;
    box.querySelectorAll(":scope > .gd-row [data-rows-remove]").forEach(function (b) {
      b.hidden = false;
    });
    box.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) { return; }
      if (target.closest("[data-rows-add]")) {
        var rows = box.querySelectorAll(":scope > .gd-row");
        var copy = rows[rows.length - 1].cloneNode(true);
        blank(copy);
        box.insertBefore(copy, add);
        renumber(box);
        var first = copy.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      } else if (target.closest("[data-rows-remove]")) {
        var row = target.closest(".gd-row");
        if (box.querySelectorAll(":scope > .gd-row").length > 1) { row.remove(); }
        else { blank(row); }
        renumber(box);
        add.focus();
      }
    });
  }

  function start() {
    document.querySelectorAll("fieldset.gd-rows[data-rows]").forEach(function (box) {
      if (box.getAttribute("data-rows-ready")) { return; }
      box.setAttribute("data-rows-ready", "1");
      setUp(box);
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
}());
