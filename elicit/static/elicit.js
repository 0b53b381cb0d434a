// elicit, every page: show each deadline in the browser's own time zone (the server wrote it in
// the study's, naming the zone, which stays if this cannot run).
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var format;
  try {
    format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      year: "numeric", month: "long", day: "numeric",
      hour: "numeric", minute: "2-digit", timeZoneName: "short"
    });
  } catch (error) { return; }
  document.querySelectorAll("time[data-local-time]").forEach(function (node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (isNaN(moment.getTime())) { return; }
    node.title = node.textContent;
    node.textContent = format.format(moment);
  });
}());

// elicit, every page: focus the error summary of refused input, and make each of its
// links move the focus to the field it names, with the field's label in view.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) { return; }

  function labelOf(field) {
    var label = field.id && document.querySelector("label[for='" + field.id + "']");
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    return label || legend || field;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    var hash = link && link.hash;
    if (!hash || link.pathname !== window.location.pathname) { return; }
    var field = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!field) { return; }
    event.preventDefault();
    history.replaceState(null, "", hash);
    labelOf(field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  // A link to one field (from the review page) wins over the summary: once the browser has
  // scrolled to the field, bring its label into view too.
  var hash = window.location.hash.slice(1);
  var target = hash && document.getElementById(decodeURIComponent(hash));
  if (target && target.matches("input, select, textarea")) {
    window.addEventListener("load", function () {
      labelOf(target).scrollIntoView({ block: "start" });
      target.focus({ preventScroll: true });
    });
  } else {
    summary.focus();
  }
}());
