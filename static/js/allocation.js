/* Needs analysis charts on the group 360 and enterprise pages (services.views_advice):
 * - [data-allocation-chart]: the asset-allocation split (services.allocation.Advice.chart) as a ring;
 * - [data-contribution-chart]: the monthly contribution, deposit / loan / fee income stacked by month.
 * Each element names the json_script element holding its data (data-source). Amounts arrive in the
 * page's table unit (core.money: 万元 in Chinese, yuan in English) with their formatted text; the tables
 * next to the charts hold the same figures. Labels and tooltips take names as text (CrmSafe). */
(function () {
  "use strict";
  var COLORS = ["#0b5cad", "#2f855a", "#b7791f", "#805ad5", "#b3261e"];

  function read(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    return source && window.echarts ? JSON.parse(source.textContent) : null;
  }

  function chartFor(el, height) {
    el.style.height = height + "px";
    var chart = echarts.getInstanceByDom(el);
    if (chart) { chart.resize(); return chart; }
    return echarts.init(el);
  }

  function drawAllocation(el) {
    var data = read(el);
    if (!data) return;
    var safe = window.CrmSafe;
    chartFor(el, 280).setOption({
      color: COLORS,
      tooltip: {
        trigger: "item",
        formatter: function (p) { return safe.tooltip(p.data.label, [p.data.text, p.percent + "%"]); }
      },
      legend: { bottom: 0, formatter: function (name) { return safe.label(name); } },
      series: [{
        type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
        label: { formatter: function (p) { return safe.label(p.data.label) + " " + p.percent + "%"; } },
        data: data.rows.map(function (r) { return { name: r.label, label: r.label, value: r.amount, text: r.text }; })
      }]
    }, true);
  }

  function drawContribution(el) {
    var data = read(el);
    if (!data) return;
    var safe = window.CrmSafe;
    chartFor(el, 260).setOption({
      color: COLORS,
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var month = items.length ? items[0].axisValue : "";
          return safe.tooltip(month, items.map(function (i) {
            return safe.text(i.seriesName) + ": " + safe.text(data.series[i.seriesIndex].text[i.dataIndex]);
          }));
        }
      },
      legend: { bottom: 0, formatter: function (name) { return safe.label(name); } },
      grid: { left: 60, right: 16, top: 24, bottom: 48 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: safe.label(data.unit) },
      series: data.series.map(function (s) {
        return { name: safe.label(s.name), type: "bar", stack: "income", data: s.data };
      })
    }, true);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-allocation-chart]").forEach(drawAllocation);
    (root || document).querySelectorAll("[data-contribution-chart]").forEach(drawContribution);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-allocation-chart], [data-contribution-chart]").forEach(function (el) {
      var chart = window.echarts && echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
})();
