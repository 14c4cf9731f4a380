// Starts Redoc on the API docs page (templates/drf_spectacular/redoc.html) from a file, as the CSP requires.
// Redoc's run-time <style> elements carry the response's nonce, so the page's style-src can stay without
// 'unsafe-inline'.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: container.dataset.nonce }, container);
})();
