// roomwatch console: progressive enhancement only; every page works without it.
"use strict";
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
