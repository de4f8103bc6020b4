/* The chain page's Sankey: reads the data written by json_script next to each [data-sankey]
 * element and draws it with ECharts. Re-draws after htmx swaps the page body.
 * Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML. */
(function () {
  "use strict";
  var COLORS = { up: "#0b5cad", core: "#b3261e", down: "#2f855a" };

  function fmt(value) {
    return Number(value).toLocaleString(undefined, { maximumFractionDigits: 2 });
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-sankey"));
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var labels = {};
    var safe = window.CrmSafe;
    var nodes = data.nodes.map(function (n) {
      labels[n.name] = n.label;
      return { name: n.name, itemStyle: { color: COLORS[n.side] || "#888" } };
    });
    var chart = echarts.getInstanceByDom(el) || echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.dataType === "edge") {
            return safe.tooltip(labels[p.data.source] + " → " + labels[p.data.target], [fmt(p.data.value)]);
          }
          return safe.tooltip(labels[p.name], [p.value ? fmt(p.value) : ""]);
        }
      },
      series: [{
        type: "sankey",
        data: nodes,
        links: data.links,
        label: { formatter: function (p) { return safe.label(labels[p.name]); } },
        nodeAlign: "justify",
        left: 10, right: 160, top: 10, bottom: 10,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5, opacity: 0.4 }
      }]
    }, true);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-sankey]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (e) { drawAll(e.target); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-sankey]").forEach(function (el) {
      var chart = window.echarts && echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
})();
