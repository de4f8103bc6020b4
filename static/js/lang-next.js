/* The language switch returns to the page as it is now: after htmx pushed a list's filters, sort or
 * page into the address bar, the switch's `next` follows (it was rendered with the URL the page was
 * first loaded with). A file, not an inline script: the Content-Security-Policy forbids those. */
(function () {
  "use strict";

  function follow() {
    var here = window.location.pathname + window.location.search;
    document.querySelectorAll(".lang-switch input[name=next]").forEach(function (input) {
      input.value = here;
    });
  }

  document.addEventListener("htmx:pushedIntoHistory", follow);
  window.addEventListener("popstate", follow);
})();
