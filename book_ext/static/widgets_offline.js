/* Lets the ipywidgets HTML manager (served from _static/vendor/html-manager, no CDN) run beside
 * MathJax 3. Loaded between require.js and embed-amd.js: see nb_ipywidgets_js in _config.yml. */
(function () {
  "use strict";

  // 1. The manager's bundles locate their icon fonts from their AMD module names
  //    ("@jupyter-widgets/..."), relative to the page. Map those names onto the vendored copy.
  var vendor = new URL("vendor/html-manager", document.currentScript.src).href;
  window.require.config({
    paths: {"@jupyter-widgets/html-manager/dist": vendor, "@jupyter-widgets": vendor},
  });

  // 2. The manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue); the site runs
  //    MathJax 3, which replaces window.MathJax when it loads. Give it the one call the manager uses.
  function typesetLater(element) {
    var mathjax = window.MathJax;
    if (!element || !mathjax || !mathjax.startup || !mathjax.startup.promise) return;
    mathjax.startup.promise
      .then(function () { return mathjax.typesetPromise ? mathjax.typesetPromise([element]) : null; })
      .catch(function () {});
  }
  function installHub() {
    var mathjax = window.MathJax;
    if (mathjax && !mathjax.Hub) {
      mathjax.Hub = {Queue: function () {
        Array.prototype.forEach.call(arguments, function (cmd) {
          if (Array.isArray(cmd)) typesetLater(cmd[2]);
        });
      }};
    }
  }
  installHub();
  document.addEventListener("DOMContentLoaded", installHub);   // after MathJax 3 (deferred) loaded
  window.addEventListener("load", installHub);

  // 3. Accessibility of the drawn widgets (axe-core, tests/test_site.py): slider handles get the
  //    slider's description as their name; plots redrawn by a widget get a text alternative.
  function label(root) {
    root.querySelectorAll(".widget-slider .noUi-handle:not([aria-label])").forEach(function (handle) {
      var slider = handle.closest(".widget-slider");
      var text = slider && slider.querySelector(".widget-label");
      handle.setAttribute("aria-label", (text && text.textContent.trim()) || "slider");
    });
    // icon-only buttons (the Play widget's play / pause / stop / repeat): name them by their icon
    root.querySelectorAll(".jupyter-widgets button:not([aria-label])").forEach(function (button) {
      if (button.textContent.trim()) return;
      var icon = button.querySelector("[data-icon], i[class*='fa-']");
      var name = icon && (icon.getAttribute("data-icon") ||
                          (icon.className.match(/fa-([a-z-]+)/) || [])[1]);
      button.setAttribute("aria-label", {play: "Play", pause: "Pause", stop: "Stop",
                                         retweet: "Repeat", repeat: "Repeat"}[name] || name || "button");
    });
    root.querySelectorAll(".widget-subarea img:not([alt]), .jp-OutputArea img:not([alt])")
      .forEach(function (img) {
        img.setAttribute("alt", "Plot drawn by the interactive widget above; the static figure " +
                                "beside it shows several settings and describes them.");
      });
  }
  new MutationObserver(function () { label(document); })
    .observe(document.documentElement, {childList: true, subtree: true});
})();
