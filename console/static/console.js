// Sluice console: the only script the pages load (CSP script-src 'self').
// It refreshes fragments the server renders, and arms the typed-name
// confirmations. Everything works without it except the refresh.
"use strict";

function refresh(el) {
  var url = el.getAttribute("data-refresh");
  var every = parseInt(el.getAttribute("data-every") || "5", 10) * 1000;
  function tick() {
    if (document.hidden) { setTimeout(tick, every); return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Console-Fragment": "1" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          // The server renders the fragment with html/template: it is
          // escaped markup of our own origin.
          el.innerHTML = html;
          el.setAttribute("data-refreshed", String(Date.now()));
        }
      })
      .catch(function () {})
      .finally(function () { setTimeout(tick, every); });
  }
  setTimeout(tick, every);
}

function confirmTyped(input) {
  var want = input.getAttribute("data-confirm");
  var button = input.form.querySelector("button[type=submit]");
  function check() { button.disabled = input.value !== want; }
  input.addEventListener("input", check);
  check();
}

function queueType(form) {
  var radios = form.querySelectorAll("input[name=type]");
  function show() {
    var fifo = form.querySelector("input[name=type]:checked").value === "fifo";
    form.querySelectorAll("[data-fifo-only]").forEach(function (el) {
      el.hidden = !fifo;
      el.querySelectorAll("input,select").forEach(function (i) { i.disabled = !fifo; });
    });
  }
  radios.forEach(function (r) { r.addEventListener("change", show); });
  show();
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-refresh]").forEach(refresh);
  document.querySelectorAll("input[data-confirm]").forEach(confirmTyped);
  document.querySelectorAll("form[data-queue-type]").forEach(queueType);
});
