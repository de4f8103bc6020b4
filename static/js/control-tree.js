// Draws the control tree of a group 360 page with ECharts. The data comes from the page itself
// (json_script), so the chart and the nested list always show the same tree.
(function () {
  "use strict";

  function label(node) {
    var share = node.share_pct === null || node.share_pct === undefined ? "" : " " + node.share_pct.toFixed(2) + "%";
    return node.name + share;
  }

  function convert(node) {
    var colour = node.kind === "person" ? "#6b46c1" : node.kind === "group" ? "#b3261e" : node.is_client ? "#2f855a" : "#b7791f";
    return {
      name: label(node),
      value: node.share_pct,
      symbol: node.kind === "person" ? "diamond" : node.kind === "group" ? "rect" : "circle",
      symbolSize: node.kind === "enterprise" ? 9 : 12,
      itemStyle: { color: colour, borderColor: colour },
      children: (node.children || []).map(convert)
    };
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var tree = JSON.parse(source.textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item", triggerOn: "mousemove" },
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
