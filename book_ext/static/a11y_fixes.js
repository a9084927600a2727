/* Accessibility fixes for the theme's markup, found by axe-core in tests/test_site.py. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  // The search fields show "Search Ctrl+K" but were named only "Search": let the visible text name them.
  document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
    button.removeAttribute("aria-label");
  });
  // The sidebar's expand/collapse toggles (<summary>) hold only an icon: name them.
  document.querySelectorAll("nav summary").forEach(function (summary) {
    if (summary.textContent.trim() || summary.hasAttribute("aria-label")) return;
    var link = summary.parentElement && summary.parentElement.previousElementSibling;
    var title = link ? link.textContent.trim() : "";
    summary.setAttribute("aria-label", title ? "Show or hide the pages of " + title
                                             : "Show or hide the pages of this section");
  });
  // docutils marks the bibliography as a list of "doc-biblioentry" items, a role ARIA 1.2
  // deprecated, so a list has no list items: make its entries list items.
  document.querySelectorAll('.citation-list[role="list"] > .citation').forEach(function (entry) {
    entry.setAttribute("role", "listitem");
  });
});

// The theme switch's icons carry titles (Light / Dark / System Settings) that become its visible
// text, which its name "Color mode" does not contain: keep them out of the accessible text. The
// theme's Font Awesome script swaps the icons for SVGs (with <title>s) whenever it likes, so watch.
(function () {
  "use strict";
  function fix() {
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      button.querySelectorAll("[title]").forEach(function (icon) { icon.removeAttribute("title"); });
      button.querySelectorAll("svg title").forEach(function (title) { title.remove(); });
      button.querySelectorAll("svg:not([aria-hidden]), i:not([aria-hidden])").forEach(function (icon) {
        icon.setAttribute("aria-hidden", "true");
      });
    });
  }
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fix(); });
  }).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", fix);
})();
