/* Forms that ask before they submit: <form data-confirm="Question?">. Replaces inline onsubmit
 * handlers, which the Content-Security-Policy forbids. One capturing listener on the document, so
 * forms swapped in by htmx ask too, and a refused submit never reaches htmx's own listener. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target && event.target.closest ? event.target.closest("form[data-confirm]") : null;
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
