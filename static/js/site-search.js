/* The header search box (templates/search/partials/box.html): htmx fetches the top hits as you type
 * (debounced); this script makes the list usable from the keyboard, as an ARIA combobox:
 * ArrowDown / ArrowUp move through the hits (aria-activedescendant), Enter opens the chosen hit (or,
 * with none chosen, submits the form: the full results page), Escape closes the list. Without script
 * the form still submits to /search/. */
(function () {
  "use strict";

  function setup() {
    var form = document.getElementById("site-search");
    if (!form) { return; }
    var input = document.getElementById("site-search-q");
    var box = document.getElementById("site-search-hits");
    var active = -1;

    function options() { return Array.prototype.slice.call(box.querySelectorAll("[role=option]")); }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      var has = box.textContent.trim() !== "";
      box.hidden = !has;
      input.setAttribute("aria-expanded", has && options().length ? "true" : "false");
    }

    function choose(index) {
      var list = options();
      if (!list.length) { return; }
      active = (index + list.length) % list.length;
      list.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
        option.classList.toggle("active", i === active);
      });
      input.setAttribute("aria-activedescendant", list[active].id);
      list[active].scrollIntoView({ block: "nearest" });
    }

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== box) { return; }
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (input.value.trim() === "") { close(); } else { open(); }
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (box.hidden && box.textContent.trim() !== "") { open(); }
        event.preventDefault();
        choose(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && active >= 0 && !box.hidden) {
        var link = options()[active].querySelector("a");
        if (link) {
          event.preventDefault();
          window.location.assign(link.href);
        }
      } else if (event.key === "Escape") {
        if (!box.hidden) { event.preventDefault(); close(); }
      }
    });

    input.addEventListener("input", function () { if (input.value.trim() === "") { close(); } });
    input.addEventListener("focus", function () { if (input.value.trim() !== "") { open(); } });
    document.addEventListener("click", function (event) { if (!form.contains(event.target)) { close(); } });
    box.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus on the input
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
