// Draws the control tree of a group 360 page with ECharts. The data comes from the page itself
// (json_script, built by clients/tree_chart.py), so the chart, its text alternative and the member
// table show the same tree and the same shares, formatted once on the server.
//
// Reading it: left to right, the group, the persons who hold the core (the actual controller marked),
// the core and what it invests in. Each label starts with the share its shareholder (the node to its
// left) holds. The chart is sized to the tree: one row per visible entity, one column per level, and
// scrolls inside its card when the tree is larger than the card. Long names are cut to the column
// (the tooltip has them whole). A click on an entity shows or hides what it invests in; the buttons
// above open every level or go back to the first one.
// Names are data: labels and tooltips take them as text (CrmSafe, static/js/safe.js), never as HTML.
(function () {
  "use strict";

  var ROW = 24;              // px between two rows of the tree: a 12 px label and its gap
  var PAD = 16;              // px above and below the tree
  var MAX_LABEL = 280;       // px of a label at most
  var MIN_LABEL = 110;       // px of a label at least; below that the chart scrolls sideways
  var GAP = 30;              // px between a node and the label of the next column
  var FIRST_VIEW_ROWS = 40;  // the first view opens as many levels as fit in about this many rows

  var COLOURS = { group: "#1f2933", person: "#6b46c1", core: "#b3261e", client: "#2f855a", prospect: "#b7791f" };
  var CONTROLLER_RING = "#d69e2e";

  var safe = window.CrmSafe;

  function colour(n) {
    if (n.kind === "person") { return COLOURS.person; }
    if (n.kind === "group") { return COLOURS.group; }
    if (n.core) { return COLOURS.core; }
    return n.is_client ? COLOURS.client : COLOURS.prospect;
  }

  function walk(node, depth, visit) {
    visit(node, depth);
    node.children.forEach(function (c) { walk(c, depth + 1, visit); });
  }

  function countBelow(node) {
    var n = 0;
    walk(node, 0, function () { n += 1; });
    return n - 1;
  }

  /** Levels and rows of the tree as shown (closed nodes hide their children). ECharts' tree layout puts
   * two cousins twice as far apart as two siblings, so a change of parent between two consecutive
   * leaves costs two rows. */
  function measure(root) {
    var levels = 0;
    var rows = 0;
    var lastParent = null;
    (function visit(node, parent, depth) {
      levels = Math.max(levels, depth + 1);
      if (!node.open || !node.children.length) {
        rows += lastParent === null ? 1 : (lastParent === parent ? 1 : 2);
        lastParent = parent;
        return;
      }
      node.children.forEach(function (c) { visit(c, node, depth + 1); });
    })(root, null, 0);
    return { levels: levels, rows: rows };
  }

  /** Opens the first `limit` levels. */
  function openTo(root, limit) {
    walk(root, 0, function (node, depth) { node.open = depth + 1 < limit; });
  }

  /** The first view: the core's own investments at least, then as many more levels as fit. */
  function firstView(root, levels) {
    var coreDepth = 1;
    walk(root, 0, function (node, depth) { if (node.core) { coreDepth = depth; } });
    var limit = Math.min(levels, coreDepth + 2);
    for (var next = limit + 1; next <= levels; next++) {
      openTo(root, next);
      if (measure(root).rows > FIRST_VIEW_ROWS) { break; }
      limit = next;
    }
    openTo(root, limit);
  }

  function textWidth(text, font) {
    var context = document.createElement("canvas").getContext("2d");
    context.font = font;
    return Math.ceil(context.measureText(safe.label(text)).width);
  }

  function separator() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "：" : ": ";
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var labels = data.labels || {};
    var root = data.tree;
    var byKey = {};
    var keys = 0;
    walk(root, 0, function (node) {
      node.key = "n" + (keys++);
      node.below = countBelow(node);
      byKey[node.key] = node;
    });
    firstView(root, data.levels);

    var scroller = el.parentElement;
    var rootWidth = textWidth(root.short || root.name, "bold 12px sans-serif") + 12;
    var chart = window.echarts.init(el);
    var labelWidth = MAX_LABEL;

    function labelText(node) {
      var parts = [];
      if (node.controller) { parts.push("{ctl|" + safe.label(labels.controller) + "}"); }
      if (node.share) { parts.push("{share|" + safe.label(node.share) + "}"); }
      parts.push((node.core || node.kind !== "enterprise" ? "{strong|" : "{name|") + safe.label(node.short || node.name) + "}");
      if (!node.open && node.children.length) { parts.push("{more|+" + node.below + "}"); }
      return parts.join(" ");
    }

    function item(node) {
      var shut = !node.open && node.children.length > 0;
      var fill = colour(node);
      var big = node.kind !== "enterprise" || node.core || node.controller;
      return {
        name: node.name,
        key: node.key,
        symbol: node.kind === "person" ? "diamond" : node.kind === "group" ? "rect" : "circle",
        symbolSize: big ? 14 : 10,
        itemStyle: {
          color: shut ? "#fff" : fill,
          borderColor: node.controller ? CONTROLLER_RING : fill,
          borderWidth: node.controller ? 3 : (shut ? 2 : 1)
        },
        // Labels go right of their node, the root's to its left. Not left of inner nodes: the tidy
        // layout may put a node of a deeper level on the row of a leaf of the next subtree, and a
        // left label would run into that leaf's. To the right a label ends a gap before the next
        // column, whatever the row.
        label: node === root
          ? { position: "left", align: "right", width: Math.min(labelWidth, rootWidth), formatter: labelText(node) }
          : { position: "right", align: "left", formatter: labelText(node) },
        children: node.open ? node.children.map(item) : []
      };
    }

    function render() {
      var shape = measure(root);
      var available = Math.max(320, scroller.clientWidth);
      var columns = Math.max(1, shape.levels - 1);
      // Widest labels that fit: root label + (columns) column gaps + last labels = available.
      // The root (the group) needs only its own name's width on the left.
      labelWidth = Math.floor((available - 2 * PAD - columns * GAP - Math.min(MAX_LABEL, rootWidth)) / (columns + 1));
      labelWidth = Math.max(MIN_LABEL, Math.min(MAX_LABEL, labelWidth));
      var column = labelWidth + GAP;
      var width = Math.max(available, 2 * PAD + Math.min(labelWidth, rootWidth) + labelWidth + columns * column);
      var height = Math.max(160, shape.rows * ROW + 2 * PAD);
      el.style.width = width > available ? width + "px" : "";
      el.style.height = height + "px";
      chart.resize();
      // A fresh drawing each time: ECharts' tree diff fails on nodes that disappear with their parent
      // ("Cannot read properties of null (reading '__edge')") when a level is closed.
      chart.clear();
      chart.setOption({
        animation: false,
        tooltip: {
          trigger: "item",
          triggerOn: "mousemove",
          confine: true,
          formatter: function (p) {
            var node = p.data && byKey[p.data.key];
            if (!node) { return ""; }
            var sep = separator();
            var lines = [node.what];
            if (node.controller) { lines.push(labels.controller); }
            if (node.uscc) { lines.push(labels.uscc + sep + node.uscc); }
            if (node.share) { lines.push(labels.share + sep + node.share); }
            if (node.controlled) { lines.push(labels.controlled + sep + node.controlled); }
            if (node.children.length) {
              lines.push(node.open ? labels.open : String(labels.hidden).replace("%(n)s", node.below));
            }
            return safe.tooltip(node.name, lines);
          }
        },
        series: [{
          type: "tree",
          orient: "LR",
          data: [item(root)],
          top: PAD, bottom: PAD,
          left: PAD + Math.min(labelWidth, rootWidth), right: PAD + labelWidth,
          roam: false,
          expandAndCollapse: false,
          initialTreeDepth: -1,
          lineStyle: { color: "#9aa5b1", width: 1, curveness: 0.5 },
          label: {
            fontSize: 12,
            lineHeight: 16,
            width: labelWidth,
            overflow: "truncate",
            ellipsis: "…",
            color: "#1f2933",
            textBorderColor: "#fff",  // a label over the start of its node's edges stays legible
            textBorderWidth: 3,
            rich: {
              name: {},
              strong: { fontWeight: "bold" },
              share: { color: "#0b5cad", fontWeight: "bold" },
              ctl: { color: "#fff", backgroundColor: "#6b46c1", borderRadius: 3, padding: [1, 4], textBorderWidth: 0 },
              more: { color: "#0b5cad", fontWeight: "bold" }
            }
          },
          emphasis: { focus: "none" }
        }]
      }, true);
    }

    chart.on("click", function (p) {
      var node = p.data && byKey[p.data.key];
      if (!node || !node.children.length) { return; }
      node.open = !node.open;
      render();
    });

    var controls = document.querySelector("[data-tree-controls='" + el.id + "']");
    if (controls) {
      controls.addEventListener("click", function (event) {
        var action = event.target.closest("[data-tree-action]");
        if (!action) { return; }
        if (action.dataset.treeAction === "expand") {
          openTo(root, data.levels);
        } else {
          var coreDepth = 1;
          walk(root, 0, function (node, depth) { if (node.core) { coreDepth = depth; } });
          openTo(root, coreDepth + 2);
        }
        render();
      });
    }

    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(render, 150);
    });
    render();
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
