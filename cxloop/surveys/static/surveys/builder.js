// Survey builder: progressive enhancement only. Without this file every button is a plain form post.
(function () {
  "use strict";
  if (window.cxloopBuilder) { return; } // htmx re-runs scripts of swapped content
  window.cxloopBuilder = true;

  // Buttons that remove something ask first.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // A refused save (422) or a conflict (409) answers with the page and its errors: show it like a success.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap with errors, take keyboard and screen-reader users to the summary.
  document.addEventListener("htmx:afterSettle", function () {
    var summary = document.querySelector(".builder-summary");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  });
})();
