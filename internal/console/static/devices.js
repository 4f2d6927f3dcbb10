// roomwatch console: the device page's charts (Apache ECharts), drawn from
// /devices/{name}/series. Labels come from the page's data-t-* attributes.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("charts");
  if (!box || typeof echarts === "undefined") {
    return;
  }
  var t = box.dataset;
  var charts = [];
  function draw(el, title, unit, series, names, max) {
    var chart = echarts.init(el, null, {renderer: "svg"});
    charts.push(chart);
    var has = series.some(function (s) { return s.points && s.points.length > 0; });
    chart.setOption({
      animation: false,
      title: {text: title, left: 0, textStyle: {fontSize: 14}, subtext: has ? "" : t.tEmpty},
      tooltip: {trigger: "axis"},
      legend: {right: 0, data: series.map(function (s) { return names[s.name] || s.name; })},
      grid: {left: 48, right: 16, top: 48, bottom: 32},
      xAxis: {type: "time"},
      yAxis: max ? {type: "value", name: unit, min: 0, max: max} : {type: "value", name: unit, min: 0},
      series: series.map(function (s) {
        return {name: names[s.name] || s.name, type: "line", showSymbol: false, step: s.name === "up" || s.name === "down" ? "end" : false, data: s.points || []};
      })
    });
  }
  fetch(box.dataset.series, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    })
    .then(function (d) {
      var names = {loss: t.tLoss, rtt: t.tRtt, charge: t.tCharge, load: t.tLoad, up: t.tUp, down: t.tDown};
      box.querySelectorAll("[data-chart]").forEach(function (el) {
        var k = el.dataset.chart;
        var spec = {
          loss: [t.tLoss, "%", d.loss || [], 100],
          rtt: [t.tRtt, "ms", d.rtt || [], null],
          ups: [t.tUps, "%", d.ups || [], 100],
          ports: [t.tPorts, "", d.ports || [], null]
        }[k];
        draw(el, spec[0], spec[1], spec[2], names, spec[3]);
      });
      box.dataset.drawn = "1";
    })
    .catch(function (e) {
      box.dataset.error = String(e);
      box.textContent = t.tEmpty;
    });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
});
