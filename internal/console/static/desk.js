// roomwatch duty desk and ticket pages: live SLA countdowns that change
// colour at the warning point and at the deadline; on the duty desk, live
// updates by server-sent events, and a flash (and, once switched on, a
// sound) when a level I or II ticket opens. Every page works without it.
"use strict";
(function () {
  function fmt(root, ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
    if (d > 0) {
      return root.dataset.fmtDh.replace("{d}", d).replace("{h}", h);
    }
    if (h > 0) {
      return root.dataset.fmtHm.replace("{h}", h).replace("{m}", m);
    }
    return root.dataset.fmtMs.replace("{m}", m).replace("{s}", sec);
  }

  // skew is the server's clock minus this browser's, from data-now.
  function setSkew(root, el) {
    if (el && el.dataset.now) {
      root.rwSkew = Number(el.dataset.now) - Date.now();
    }
  }

  function tick(root) {
    var now = Date.now() + (root.rwSkew || 0);
    root.querySelectorAll(".timer[data-deadline]").forEach(function (el) {
      var dl = Number(el.dataset.deadline), warn = Number(el.dataset.warn);
      if (!dl) {
        return;
      }
      var left = dl - now;
      var status = left < 0 ? "breached" : (warn && now >= warn ? "warning" : "running");
      el.classList.remove("t-running", "t-warning", "t-breached");
      el.classList.add("t-" + status);
      var span = el.querySelector(".left");
      if (span) {
        span.textContent = (left < 0 ? root.dataset.over : root.dataset.left).replace("{d}", fmt(root, left));
      }
    });
  }

  function initDesk(desk) {
    var panel = document.getElementById("desk-panel");
    var live = document.getElementById("desk-live");
    var soundBtn = document.getElementById("desk-sound");
    var audio = null, soundOn = false, timer = null, loading = false, again = false;
    var known = ids();

    function ids() {
      var out = {};
      panel.querySelectorAll(".trow").forEach(function (li) { out[li.dataset.id] = true; });
      return out;
    }

    function beep() {
      if (!audio) {
        return;
      }
      var t = audio.currentTime;
      [0, 0.3].forEach(function (off) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = "square";
        o.frequency.value = 880;
        g.gain.setValueAtTime(0.12, t + off);
        g.gain.setValueAtTime(0, t + off + 0.18);
        o.connect(g);
        g.connect(audio.destination);
        o.start(t + off);
        o.stop(t + off + 0.2);
      });
      desk.dataset.beeps = String(Number(desk.dataset.beeps || 0) + 1);
    }

    function alarm() {
      desk.classList.remove("flash");
      void desk.offsetWidth; // restart the animation
      desk.classList.add("flash");
      desk.dataset.alarms = String(Number(desk.dataset.alarms || 0) + 1);
      if (soundOn) {
        beep();
      }
    }

    // announce flashes for level I/II tickets that are new and still open.
    function announce() {
      var fresh = 0, now = {};
      panel.querySelectorAll(".trow").forEach(function (li) {
        var id = li.dataset.id, st = li.dataset.state;
        now[id] = true;
        if (!known[id] && Number(li.dataset.level) <= 2 && (st === "open" || st === "reopened")) {
          li.classList.add("new");
          fresh++;
        }
      });
      known = now;
      if (fresh > 0) {
        alarm();
      }
    }

    function refresh() {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      fetch(desk.dataset.panel, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
        if (r.redirected) { // the session ended: to the login page
          window.location.reload();
          return null;
        }
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html === null) {
          return;
        }
        panel.innerHTML = html;
        setSkew(desk, panel.querySelector(".desk-grid"));
        tick(desk);
        announce();
        desk.dataset.refreshed = String(Number(desk.dataset.refreshed || 0) + 1);
      }, function () {
        live.textContent = desk.dataset.liveOff;
        live.classList.remove("on");
      }).then(function () {
        loading = false;
        if (again) {
          again = false;
          refresh();
        }
      });
    }

    soundBtn.addEventListener("click", function () {
      if (!audio) {
        var AC = window.AudioContext || window.webkitAudioContext;
        if (!AC) {
          soundBtn.disabled = true;
          return;
        }
        audio = new AC(); // created on a click, so the browser lets it play
      }
      soundOn = !soundOn;
      soundBtn.setAttribute("aria-pressed", String(soundOn));
      soundBtn.textContent = soundOn ? desk.dataset.soundOff : desk.dataset.soundOn;
      if (soundOn) {
        beep();
      }
    });

    if (!window.EventSource) {
      return;
    }
    var es = null, retry = 1000;
    // connect opens the event stream; the browser reopens a dropped one by
    // itself, but not one the server refused (503 when its streams are
    // full): that is tried again here, waiting longer each time.
    function connect() {
      es = new EventSource(desk.dataset.events);
      es.onopen = function () {
        retry = 1000;
        live.textContent = desk.dataset.liveOn;
        live.classList.add("on");
        refresh(); // what changed while (re)connecting
      };
      es.onerror = function () {
        live.textContent = desk.dataset.liveOff;
        live.classList.remove("on");
        if (es.readyState === 2) {
          es = null;
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 30000);
        }
      };
      es.addEventListener("change", function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, 100); // one refresh for a burst of changes
      });
    }
    connect();
    window.addEventListener("pagehide", function () {
      if (es) {
        es.close();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var roots = Array.prototype.slice.call(document.querySelectorAll(".live-timers"));
    roots.forEach(function (root) {
      setSkew(root, root.dataset.now ? root : root.querySelector("[data-now]"));
      tick(root);
    });
    if (roots.length > 0) {
      setInterval(function () { roots.forEach(tick); }, 1000);
    }
    var desk = document.getElementById("desk");
    if (desk) {
      initDesk(desk);
    }
  });
}());
