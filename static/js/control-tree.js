// Draws the control tree of a group 360 page with ECharts. The data comes from the page itself
// (json_script), so the chart and the nested list always show the same tree.
// Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML.
(function () {
  "use strict";

  function share(node) {
    return node.share_pct === null || node.share_pct === undefined ? "" : node.share_pct.toFixed(2) + "%";
  }

  function label(node) {
    var pct = share(node);
    return window.CrmSafe.label(node.name) + (pct ? " " + pct : "");
  }

  function convert(node) {
    var colour = node.kind === "person" ? "#6b46c1" : node.kind === "group" ? "#b3261e" : node.is_client ? "#2f855a" : "#b7791f";
    return {
      name: label(node),
      value: node.share_pct,
      symbol: node.kind === "person" ? "diamond" : node.kind === "group" ? "rect" : "circle",
      symbolSize: node.kind === "enterprise" ? 9 : 12,
      itemStyle: { color: colour, borderColor: colour },
      raw: { name: node.name, share: share(node) },
      children: (node.children || []).map(convert)
    };
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var tree = JSON.parse(source.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "item",
        triggerOn: "mousemove",
        formatter: function (p) {
          var raw = p.data && p.data.raw;
          return raw ? window.CrmSafe.tooltip(raw.name, [raw.share]) : "";
        }
      },
      series: [{
        type: "tree",
        data: [convert(tree)],
        top: "4%", left: "12%", bottom: "4%", right: "28%",
        initialTreeDepth: 3,
        roam: true,
        expandAndCollapse: true,
        label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 12 },
        leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } },
        animationDuration: 300
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-source][id$='-chart']").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
