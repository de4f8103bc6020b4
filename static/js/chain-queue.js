/* The chain page's review queue: "select all on this page" ticks every link checkbox of its table.
 * Delegated from the document, so it keeps working after htmx swaps the queue or the page body. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-select-all]")) return;
    var table = box.closest("table");
    if (!table) return;
    var name = box.getAttribute("data-select-all");
    table.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
