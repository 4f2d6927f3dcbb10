// roomwatch wall display: the panel is re-read as soon as a ticket changes
// (server-sent events from /wall/events, authorised by the page's kiosk
// token), and every data-refresh-ms for the rest (availability, devices,
// inspections). A dropped stream is reopened, with a growing pause when the
// server refuses it. The clock ticks here between refreshes.
"use strict";
(function () {
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function initWall(wall) {
    var loading = false, again = false, timer = null, es = null, retry = 1000;
    var clockBase = 0, clockAt = 0;

    // The server's wall time (data-now, "2006-01-02 15:04:05" in the
    // bureau's zone) is kept as if it were UTC and advanced by this
    // browser's clock.
    function setClock() {
      var p = document.getElementById("wall-panel");
      var m = p && /^(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)$/.exec(p.dataset.now || "");
      if (m) {
        clockBase = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
        clockAt = Date.now();
      }
    }

    function tickClock() {
      var el = document.getElementById("wall-now");
      if (!el || !clockBase) {
        return;
      }
      var d = new Date(clockBase + Date.now() - clockAt);
      el.textContent = d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
    }

    function showLive(on) {
      var live = document.getElementById("wall-live");
      if (!live) {
        return;
      }
      live.textContent = on ? live.dataset.textOn : live.dataset.textOff;
      live.classList.toggle("on", on);
      wall.dataset.live = on ? "on" : "off";
    }

    function refresh() {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      fetch(wall.dataset.panel, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        var old = document.getElementById("wall-panel");
        if (html === null || !old) {
          return;
        }
        var box = document.createElement("div");
        box.innerHTML = html;
        var fresh = box.querySelector("#wall-panel");
        if (!fresh) {
          return;
        }
        old.replaceWith(fresh);
        setClock();
        tickClock();
        showLive(es !== null && es.readyState === 1);
        wall.dataset.refreshed = String(Number(wall.dataset.refreshed || 0) + 1);
      }, function () {
        showLive(false);
      }).then(function () {
        loading = false;
        if (again) {
          again = false;
          refresh();
        }
      });
    }

    function connect() {
      es = new EventSource(wall.dataset.events);
      es.onopen = function () {
        retry = 1000;
        showLive(true);
        refresh(); // what changed while (re)connecting
      };
      es.onerror = function () {
        showLive(false);
        if (es.readyState === 2) { // closed for good (refused, 503): try again later
          es = null;
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        }
      };
      es.addEventListener("change", function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, 50); // one refresh for a burst of changes
      });
    }

    setClock();
    setInterval(tickClock, 1000);
    setInterval(refresh, Number(wall.dataset.refreshMs) || 30000);
    if (wall.dataset.events && window.EventSource) {
      connect();
      window.addEventListener("pagehide", function () {
        if (es) {
          es.close();
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var wall = document.getElementById("wall");
    if (wall && wall.dataset.panel) {
      initWall(wall);
    }
  });
}());
