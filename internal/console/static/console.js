// roomwatch console: progressive enhancement only; every page works without it.
"use strict";

// htmx requests carry the session's CSRF token (the server refuses any
// state-changing request without it).
document.addEventListener("htmx:configRequest", function (ev) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    ev.detail.headers["X-CSRF-Token"] = meta.content;
  }
});
document.addEventListener("DOMContentLoaded", function () {
  // The password form: say at once when the two new passwords differ (the
  // server checks again).
  var form = document.getElementById("password-form");
  if (!form) {
    return;
  }
  var nw = form.querySelector("#new");
  var again = form.querySelector("#confirm");
  function check() {
    again.setCustomValidity(again.value !== "" && again.value !== nw.value ? again.dataset.mismatch : "");
  }
  nw.addEventListener("input", check);
  again.addEventListener("input", check);
});
