// Draws a group's circle with ECharts (force layout). The data comes from the page (json_script):
// nodes coloured by role, sized by flow volume with the group, clients filled and prospects hollow,
// membership edges from the core and guarantee edges (dashed arrows, guarantor -> borrower).
// Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML.
(function () {
  "use strict";

  var COLOURS = {
    core: "#b3261e", subsidiary: "#0b5cad", affiliate: "#6b46c1", supplier: "#2f855a",
    distributor: "#dd6b20", customer: "#d69e2e", partner: "#319795", investee: "#805ad5",
    guarantor: "#c53030", outside: "#a0aec0"
  };

  function fmt(n) {
    return n === null || n === undefined ? "—" : Number(n).toLocaleString(undefined, { maximumFractionDigits: 0 });
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var catIndex = {};
    var catLabel = {};
    var categories = data.categories.map(function (c, i) {
      catIndex[c.name] = i;
      catLabel[c.name] = c.label;
      return { name: c.label, itemStyle: { color: COLOURS[c.name] || "#718096" } };
    });
    var maxVolume = 0;
    data.nodes.forEach(function (n) { if (n.volume && n.volume > maxVolume) { maxVolume = n.volume; } });

    var nodes = data.nodes.map(function (n) {
      var colour = COLOURS[n.category] || "#718096";
      var size = n.core ? 46 : 12 + (maxVolume > 0 && n.volume ? 34 * Math.sqrt(n.volume / maxVolume) : 0);
      return {
        id: n.id,
        name: n.name,
        category: catIndex[n.category],
        symbolSize: size,
        fixed: !!n.core,
        x: n.core ? el.clientWidth / 2 : undefined,
        y: n.core ? el.clientHeight / 2 : undefined,
        // Clients of the bank are solid; prospects are hollow with a coloured ring.
        itemStyle: n.is_client
          ? { color: colour, borderColor: "#fff", borderWidth: 1 }
          : { color: "#fff", borderColor: colour, borderWidth: 3 },
        label: { show: !!n.core || size > 30 },
        raw: n
      };
    });
    var links = data.edges.map(function (e) {
      if (e.kind === "guarantee") {
        return {
          source: e.source, target: e.target, raw: e,
          lineStyle: { type: "dashed", color: COLOURS.guarantor, width: 1.5, curveness: 0.2 },
          symbol: ["none", "arrow"]
        };
      }
      return { source: e.source, target: e.target, raw: e, lineStyle: { color: "#cbd2d9", width: 1 } };
    });

    var safe = window.CrmSafe;
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            var e = p.data.raw;
            return e.kind === "guarantee" ? safe.tooltip(labels.guarantee, [fmt(e.amount) + " " + safe.text(e.currency)]) : "";
          }
          var n = p.data.raw;
          var roles = n.roles.map(function (r) { return catLabel[r] || r; }).join(", ");
          var lines = [n.uscc, (n.is_client ? labels.client : labels.prospect), labels.roles + ": " + roles];
          if (n.volume !== null) {
            lines.push(labels.volume + ": " + fmt(n.volume));
            lines.push(labels.flows + ": " + n.flow_count);
          }
          return safe.tooltip(n.name, lines);
        }
      },
      legend: [{ data: categories.map(function (c) { return c.name; }), top: 0, type: "scroll" }],
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        categories: categories,
        data: nodes,
        links: links,
        edgeSymbolSize: 8,
        force: { repulsion: 160, edgeLength: [60, 160], gravity: 0.08 },
        label: { position: "right", fontSize: 11, formatter: function (p) { return safe.label(p.name); } },
        emphasis: { focus: "adjacency" }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-source='circle-graph-data']").forEach(draw);
  });
})();
