// Order form: find a customer as you type. The matches (GET /customers/search?q=, JSON, for
// signed-in staff) fill the "Existing customer" list, which the keyboard works as any select;
// choosing one sets customer_id. Without JavaScript, "Find" posts the form back with the matches.
(function () {
  "use strict";
  var box = document.querySelector("[data-customer-search]");
  if (!box || !window.fetch) { return; }
  var input = box.querySelector("input[type=search]");
  var select = box.querySelector("select");
  var status = box.querySelector("[role=status]");
  if (!input || !select) { return; }
  var timer = null;
  var asked = 0;

  function label(customer) {
    var text = customer.name;
    if (customer.email) { text += " · " + customer.email; }
    else if (customer.phone) { text += " · " + customer.phone; }
    if (!customer.email) { text += " (" + box.getAttribute("data-no-email") + ")"; }
    return text;
  }

  function show(customers) {
    var chosen = select.options[select.selectedIndex];
    var keep = chosen && chosen.value ? chosen : null;
    // The first option ("a new customer") and the chosen customer stay; the rest are replaced.
    while (select.options.length > 1) { select.remove(1); }
    if (keep) { select.add(keep); keep.selected = true; }
    customers.forEach(function (customer) {
      if (keep && String(customer.id) === keep.value) { return; }
      var option = document.createElement("option");
      option.value = String(customer.id);
      option.textContent = label(customer);  // text, never HTML
      select.add(option);
    });
    if (status) {
      status.textContent = box.getAttribute("data-found").replace("{n}", String(customers.length));
    }
  }

  function ask() {
    var ticket = ++asked;
    var url = box.getAttribute("data-url") + "?q=" + encodeURIComponent(input.value.trim());
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        // Only the answer to the latest question counts; a signed-out session shows nothing new.
        if (ticket === asked && body && body.customers) { show(body.customers); }
      })
      .catch(function () { /* offline: the list stays as it was; "Find" still works */ });
  }

  input.addEventListener("input", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(ask, 200);
  });
  // Enter in the search box finds at once instead of submitting the order.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      if (timer) { clearTimeout(timer); }
      ask();
      select.focus();
    }
  });
}());
