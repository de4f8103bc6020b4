/* Data reaches the page as text, never as HTML.
 *
 * ECharts treats a string returned by a tooltip formatter as HTML (it is written with innerHTML), and
 * enterprise, group and person names are typed by users and imported from files. So the chart scripts
 * never build HTML strings from data: their tooltips are DOM nodes whose text is set with textContent
 * (CrmSafe.tooltip), and CrmSafe.html() escapes a value for the rare place that must produce markup.
 * Styling comes from classes in app.css: the Content-Security-Policy forbids inline style attributes.
 */
(function () {
  "use strict";

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" };

  /** A value as a string; null and undefined give "". */
  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  /** A value escaped for an HTML context (element content or a quoted attribute). */
  function html(value) {
    return text(value).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; });
  }

  /** Text for an ECharts label: the label renderer reads "{style|...}" as rich-text markup, so braces go. */
  function label(value) {
    return text(value).replace(/[{}]/g, "");
  }

  /**
   * A tooltip for an ECharts formatter: the first line as a heading, then one line per entry. Every
   * entry is set with textContent. Empty entries (null, undefined, "") are skipped.
   */
  function tooltip(title, lines) {
    var box = document.createElement("div");
    box.className = "chart-tip";
    if (text(title) !== "") {
      var heading = document.createElement("strong");
      heading.textContent = text(title);
      box.appendChild(heading);
    }
    (lines || []).forEach(function (line) {
      if (text(line) === "") { return; }
      var row = document.createElement("div");
      row.textContent = text(line);
      box.appendChild(row);
    });
    return box;
  }

  window.CrmSafe = { text: text, html: html, label: label, tooltip: tooltip };
})();
