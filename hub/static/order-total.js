// Order form: the running total incl. VAT, rounded exactly as the ledger rounds (hub/money.py):
// each line is round_half_up(unit_price_cents * quantity_milli / 1000), the total their sum.
// Prices and quantities are read as integers (cents, thousandths), never as floats.
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  var output = document.querySelector("[data-order-total]");
  if (!form || !output) { return; }
  var MAX_AMOUNT_CENTS = 100000000;
  var MAX_QUANTITY_MILLI = 10000000;
  // hub.money._NUMBER, after every kind of space became one plain space.
  var NUMBER = /^[0-9]{1,3}(?:[ ][0-9]{3})+(?:[.,][0-9]+)?$|^[0-9]+(?:[.,][0-9]+)?$|^[.,][0-9]+$/;

  // Read "12,50", "1 250,00 €", "0.25" as an integer scaled by 10^decimals, or null.
  function scaled(text, decimals) {
    var raw = text.trim();
    ["€", "EUR", "eur"].some(function (suffix) {
      if (raw.slice(-suffix.length) === suffix) { raw = raw.slice(0, -suffix.length).trim(); return true; }
      return false;
    });
    var spaced = raw.replace(/[\s\u00a0\u202f]/g, " ");
    if (!NUMBER.test(spaced) || (spaced.indexOf(",") >= 0 && spaced.indexOf(".") >= 0)) { return null; }
    var parts = spaced.replace(/ /g, "").split(/[.,]/);
    var whole = parts[0] || "0";
    var fraction = parts.length > 1 ? parts[1] : "";
    if (fraction.length > decimals) { return null; }
    while (fraction.length < decimals) { fraction += "0"; }
    return parseInt(whole, 10) * Math.pow(10, decimals) + parseInt(fraction || "0", 10);
  }

  function format(cents) {
    var units = Math.floor(cents / 100);
    var rest = ("0" + (cents % 100)).slice(-2);
    var grouped = String(units).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    if ((document.documentElement.lang || "fr").slice(0, 2) === "en") {
      return "€" + grouped + "." + rest;
    }
    return grouped.replace(/,/g, "\u202f") + "," + rest + "\u00a0€";
  }

  function lineAmount(row) {
    var select = row.querySelector("select");
    var quantity = row.querySelector("input[name$='.quantity']");
    var price = row.querySelector("input[name$='.unit_price']");
    var code = select ? select.value : "";
    var typed = [quantity ? quantity.value.trim() : "", price ? price.value.trim() : ""];
    if (!code && !typed[0] && !typed[1]) { return 0; }  // a blank row
    var option = select ? select.options[select.selectedIndex] : null;
    if (!code || !option || !option.hasAttribute("data-cents")) { return null; }
    var milli = scaled(typed[0] || "1", 3);
    var cents = typed[1] ? scaled(typed[1], 2) : parseInt(option.getAttribute("data-cents"), 10);
    if (milli === null || milli <= 0 || milli > MAX_QUANTITY_MILLI) { return null; }
    if (cents === null || cents > MAX_AMOUNT_CENTS) { return null; }
    // Exact in a double: cents * milli stays below 10^15 < 2^53; half up for positives.
    return Math.floor((cents * milli + 500) / 1000);
  }

  function update() {
    var total = 0;
    var rows = form.querySelectorAll("[data-line]");
    for (var i = 0; i < rows.length; i += 1) {
      var amount = lineAmount(rows[i]);
      if (amount === null) { output.textContent = "—"; return; }
      total += amount;
    }
    output.textContent = format(total);
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}());
