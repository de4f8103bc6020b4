/* The chain page's Sankey: reads the data written by json_script next to each [data-sankey] element
 * (chains.selectors.sankey_data) and draws it with ECharts, one column per chain tier (upstream left,
 * the group in the middle, downstream right). Re-draws after htmx swaps the page body.
 *
 * Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML.
 * Long names are shortened on the chart and given whole in the tooltip. Amounts come pre-formatted in
 * the page's unit (core.money: 万元 in Chinese, yuan in English); the unit is the element's data-unit. */
(function () {
  "use strict";
  var COLORS = { up: "#0b5cad", core: "#b3261e", down: "#2f855a" };
  var LABEL_CHARS = 12;
  var TOP = 34, SIDE = 12, NODE_GAP = 14, ROW = 34, MIN_HEIGHT = 320;

  function shorten(value) {
    var chars = Array.from(CrmSafe.text(value));
    return chars.length > LABEL_CHARS ? chars.slice(0, LABEL_CHARS - 1).join("") + "…" : chars.join("");
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-sankey"));
    if (!source || !window.echarts) return;
    var safe = window.CrmSafe;
    var unit = el.getAttribute("data-unit") || "";
    var data = JSON.parse(source.textContent);
    var byName = {};
    var perDepth = {};
    var lastDepth = 0;
    data.nodes.forEach(function (n) {
      byName[n.name] = n;
      perDepth[n.depth] = (perDepth[n.depth] || 0) + 1;
      lastDepth = Math.max(lastDepth, n.depth);
    });
    var tallest = Math.max.apply(null, Object.keys(perDepth).map(function (k) { return perDepth[k]; }));
    el.style.height = Math.max(MIN_HEIGHT, TOP + 20 + tallest * ROW) + "px";

    var nodes = data.nodes.map(function (n) {
      var last = n.depth === lastDepth && lastDepth > 0;
      return {
        name: n.name,
        depth: n.depth,
        itemStyle: { color: COLORS[n.side] || "#888" },
        label: { position: last ? "left" : "right" }
      };
    });
    var chart = echarts.getInstanceByDom(el);
    if (chart) { chart.resize(); } else { chart = echarts.init(el); }
    // Column headings above the nodes, in percentages so that a resize keeps them in place.
    var headings = data.columns.map(function (c) {
      var style = { text: safe.label(c.label), fill: "#555", font: "12px sans-serif" };
      if (lastDepth > 0 && c.depth === lastDepth) return { type: "text", right: SIDE, top: 6, style: style };
      if (c.depth === 0) return { type: "text", left: SIDE, top: 6, style: style };
      return { type: "text", left: (100 * c.depth / lastDepth).toFixed(1) + "%", top: 6, style: style };
    });
    chart.setOption({
      graphic: headings,
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.dataType === "edge") {
            var s = byName[p.data.source], t = byName[p.data.target];
            return safe.tooltip(s.label + " → " + t.label, [p.data.text + " " + unit, p.data.exact]);
          }
          var n = byName[p.name];
          return safe.tooltip(n.label, [n.text + " " + unit, n.exact]);
        }
      },
      series: [{
        type: "sankey",
        data: nodes,
        links: data.links.map(function (l) { return { source: l.source, target: l.target, value: l.value, text: l.text, exact: l.exact }; }),
        label: {
          formatter: function (p) { return safe.label(shorten(byName[p.name].label)); },
          fontSize: 12
        },
        nodeAlign: "justify",
        nodeGap: NODE_GAP,
        layoutIterations: 32,
        left: SIDE, right: SIDE + 20, top: TOP, bottom: 10,
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
