// Create forms send once. A button marked data-once is disabled while its form's request is in
// flight, so a second tap sends nothing; and the form's one-time token is kept in this history
// entry, so that Back, then submit again, sends the same token and the hub shows what the first
// submit recorded instead of recording it twice. Without JavaScript the hub still refuses to
// record one rendered form twice; only this Back case then depends on the script.
(function () {
  "use strict";
  var SLOT = "hubFormTokens"; // in history.state: {form address: token sent from this entry}
  var RELEASE_AFTER_MS = 15000; // a request stopped by the reader (Esc) must not lock the form

  function onceForms() {
    var forms = [];
    document.querySelectorAll("button[data-once]").forEach(function (button) {
      if (button.form && forms.indexOf(button.form) < 0) { forms.push(button.form); }
    });
    return forms;
  }

  // Not form.action: the order form has buttons named "action", which shadow that property.
  function addressOf(form) {
    return new URL(form.getAttribute("action") || "", window.location.href).href;
  }

  function sentTokens() {
    var state = history.state;
    return (state && typeof state === "object" && state[SLOT]) || {};
  }

  function keepSentToken(form, token) {
    var state = history.state && typeof history.state === "object" ? history.state : {};
    var sent = Object.assign({}, sentTokens());
    sent[addressOf(form)] = token;
    var next = Object.assign({}, state);
    next[SLOT] = sent;
    history.replaceState(next, "");
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[data-once]").forEach(function (button) {
      button.disabled = busy;
      if (busy) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
    });
    if (!busy) { delete form.dataset.sending; }
  }

  onceForms().forEach(function (form) {
    var field = form.querySelector('input[name="form_token"]');
    var sentBefore = sentTokens()[addressOf(form)];
    // Back to a form already sent from this entry: the page was fetched again with a new token;
    // put the sent one back, so that sending it again shows the record it made.
    if (field && sentBefore) { field.value = sentBefore; }
    form.addEventListener("submit", function (event) {
      if (event.submitter && !event.submitter.hasAttribute("data-once")) {
        return; // a post-back that records nothing, such as "Add a line" or "Find"
      }
      if (form.dataset.sending) {
        event.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      if (field) { keepSentToken(form, field.value); }
      // Disable after this task: a button disabled now would drop out of the data being sent.
      window.setTimeout(function () { setBusy(form, true); }, 0);
      window.setTimeout(function () { setBusy(form, false); }, RELEASE_AFTER_MS);
    });
  });

  // A page brought back from the back-forward cache comes back as it was left: busy.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { onceForms().forEach(function (form) { setBusy(form, false); }); }
  });
}());
