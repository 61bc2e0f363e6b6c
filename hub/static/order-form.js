// Order form: "Add a line" clones a row in place; without JavaScript the button posts back instead.
(function () {
  "use strict";
  var MAX_LINES = 50;
  var button = document.querySelector("[data-add-line]");
  if (!button) { return; }
  button.addEventListener("click", function (event) {
    var rows = document.querySelectorAll("[data-line]");
    if (rows.length === 0 || rows.length >= MAX_LINES) { return; }
    event.preventDefault();
    var last = rows[rows.length - 1];
    var index = rows.length;
    var copy = last.cloneNode(true);
    var renumber = function (value) { return value.replace(/lines\.\d+\./g, "lines." + index + "."); };
    copy.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        if (el.hasAttribute(attr)) { el.setAttribute(attr, renumber(el.getAttribute(attr))); }
      });
    });
    copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    last.parentNode.insertBefore(copy, last.nextSibling);
    var first = copy.querySelector("select, input");
    if (first) { first.focus(); }
  });
}());
