// Draws a group's circle with ECharts. The data comes from the page (json_script, built by
// circles/selectors.py circle_graph): every node has fixed coordinates (the core in the middle, one
// sector of rings per role, see circles/graph_layout.py), so the same circle always looks the same.
// One colour per role (the palette comes with the data, and the legend shows it), clients filled and
// prospects hollow, size by flow volume with the group; membership edges from the core, guarantee
// edges dashed with an arrow (guarantor -> borrower). Only the important nodes carry a label (the core,
// guarantee parties, the largest volumes); a label that would cover another label or another node is
// hidden (named on hover), every name is whole in its tooltip. The chart fills its card and follows
// the window's size.
// Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML.
(function () {
  "use strict";

  var GUARANTEE = "#4a5568";
  var UNIT = 200;  // px per ring unit of circles/graph_layout.py before ECharts fits the graph to the card
  var safe = window.CrmSafe;

  function separator() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "：" : ": ";
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var palette = data.palette || {};
    var present = {};
    data.nodes.forEach(function (n) { present[n.category] = true; });
    var catIndex = {};
    var categories = data.categories.filter(function (c) { return present[c.name]; }).map(function (c, i) {
      catIndex[c.name] = i;
      return { name: c.label, itemStyle: { color: palette[c.name] || "#718096" } };
    });
    var byId = {};
    var maxVolume = 0;
    data.nodes.forEach(function (n) {
      byId[n.id] = n;
      if (n.volume && n.volume > maxVolume) { maxVolume = n.volume; }
    });
    var crowded = data.nodes.length > 60;
    var labelWidth = crowded ? 100 : 120;

    function size(n) {
      if (n.core) { return crowded ? 34 : 44; }
      var least = crowded ? 8 : 12;
      var spread = crowded ? 18 : 26;
      return least + (maxVolume > 0 && n.volume ? spread * Math.sqrt(n.volume / maxVolume) : 0);
    }

    function nodes(aspect) {
      return data.nodes.map(function (n) {
        var colour = palette[n.category] || "#718096";
        // Labels point away from the core: right of the nodes on the right, above those at the top...
        var angle = Math.atan2(n.y, n.x);
        var side = n.core ? "bottom"
          : Math.abs(Math.cos(angle)) > 0.4 ? (n.x > 0 ? "right" : "left") : (n.y < 0 ? "top" : "bottom");
        return {
          id: n.id,
          name: n.short || n.name,  // the label: no legal form (有限公司...); the tooltip has the full name
          // In pixels rather than ring units: ECharts fits them to the card either way, but draws lines
          // wrongly when tiny coordinates are scaled up a lot (nearly level edges went missing).
          x: n.x * aspect * UNIT,
          y: n.y * UNIT,
          category: catIndex[n.category],
          symbolSize: size(n),
          // Clients of the bank are solid; prospects are hollow with a ring in the role's colour.
          itemStyle: n.is_client
            ? { color: colour, borderColor: "#fff", borderWidth: 1 }
            : { color: "#fff", borderColor: colour, borderWidth: 3 },
          label: { show: !!n.important && !quiet[n.id], position: side, fontWeight: n.core ? "bold" : "normal" },
          emphasis: { label: { show: true } }
        };
      });
    }

    var links = data.edges.map(function (e, i) {
      if (e.kind === "guarantee") {
        return {
          source: e.source, target: e.target, edge: i, raw: { kind: e.kind },
          lineStyle: { type: "dashed", color: GUARANTEE, width: 1.5, curveness: 0.25, opacity: 0.9 },
          symbol: ["none", "arrow"]
        };
      }
      return { source: e.source, target: e.target, edge: i, raw: { kind: e.kind }, lineStyle: { color: "#cbd2d9", width: 1 } };
    });

    function tooltip(p) {
      var sep = separator();
      if (p.dataType === "edge") {
        var e = data.edges[p.data.edge];
        return e && e.kind === "guarantee"
          ? safe.tooltip(labels.guarantee + sep + e.amount_text, [e.names])
          : "";
      }
      var n = byId[p.data.id];
      if (!n) { return ""; }
      var lines = [n.uscc, n.is_client ? labels.client : labels.prospect, labels.roles + sep + n.roles_text];
      if (n.volume !== null) {
        lines.push(labels.volume + sep + n.volume_text);
        lines.push(labels.flows + sep + n.flow_count);
      }
      return safe.tooltip(n.name, lines);
    }

    var chart = window.echarts.init(el);
    var quiet = {};  // nodes whose label would cover another node: named on hover only

    function box(g) {
      var r = g.getBoundingRect().clone();
      var m = g.getComputedTransform();
      if (m) { r.applyTransform(m); }
      return r;
    }

    function crossing(a, b) {
      return a.x + 1 < b.x + b.width && b.x + 1 < a.x + a.width && a.y + 1 < b.y + b.height && b.y + 1 < a.y + a.height;
    }

    /** Ids of the nodes whose shown label covers another node's symbol (hideOverlap only weighs labels
     * against labels). Read from the drawn elements, so it holds whatever the card's size. */
    function covering() {
      var data = chart.getModel().getSeriesByIndex(0).getData();
      var symbols = [];
      var shown = [];
      for (var i = 0; i < data.count(); i++) {
        var g = data.getItemGraphicEl(i);
        if (!g) { continue; }
        symbols.push({ i: i, rect: box(g) });
        var path = g.childAt ? g.childAt(0) : g;
        var label = path && path.getTextContent && path.getTextContent();
        if (label && !label.ignore && !label.invisible) { shown.push({ i: i, rect: box(label) }); }
      }
      return shown.filter(function (l) {
        return symbols.some(function (s) { return s.i !== l.i && crossing(l.rect, s.rect); });
      }).map(function (l) { return data.getId(l.i); });
    }

    /** Draws, then quiets the labels that cover a node until none does (a label hidden by hideOverlap
     * may show once its neighbour is quiet, hence a few rounds). */
    function drawSettled() {
      quiet = {};
      render();
      for (var round = 0; round < 4; round++) {
        var ids = covering();
        if (!ids.length) { return; }
        ids.forEach(function (id) { quiet[id] = true; });
        render();
      }
    }

    function render() {
      var aspect = Math.max(0.8, Math.min(2.4, el.clientWidth / Math.max(1, el.clientHeight)));
      chart.setOption({
        animation: false,
        tooltip: { confine: true, formatter: tooltip },
        legend: [{ data: categories.map(function (c) { return c.name; }), top: 0, left: "center", type: "scroll",
                   itemGap: 14, textStyle: { fontSize: 12 } }],
        series: [{
          type: "graph",
          layout: "none",
          // Room around the outer ring for the labels that point outwards.
          top: 44 + 26, bottom: 40, left: labelWidth + 18, right: labelWidth + 18,
          roam: true,
          scaleLimit: { min: 0.5, max: 6 },
          draggable: false,
          categories: categories,
          data: nodes(aspect),
          links: links,
          edgeSymbolSize: 8,
          label: {
            fontSize: crowded ? 11 : 12,
            color: "#1f2933",
            width: labelWidth,
            overflow: "truncate",
            ellipsis: "…",
            textBorderColor: "#fff",
            textBorderWidth: 2,
            formatter: function (p) { return safe.label(p.name); }
          },
          labelLayout: { hideOverlap: true },
          emphasis: { focus: "adjacency", label: { show: true } }
        }]
      }, true);
    }

    drawSettled();
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () { chart.resize(); drawSettled(); }, 150);
    });
  }

  function init() {
    document.querySelectorAll("[data-source='circle-graph-data']").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
