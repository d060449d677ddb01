// A form sent back with errors: move the focus to their summary, so that keyboard and
// screen-reader users start there (a static file: the CSP refuses inline scripts).
(function () {
  "use strict";
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }
})();
