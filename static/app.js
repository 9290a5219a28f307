// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Close the user menu on Escape or on a click outside it.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      d.removeAttribute("open");
      var s = d.querySelector("summary");
      if (s) s.focus();
    });
  });
  document.addEventListener("click", function (ev) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.removeAttribute("open");
    });
  });

  // New token form: show only the chosen resource owner's repositories,
  // and clear the ticks of the others so they are not sent.
  var owner = document.getElementById("resource_owner");
  if (owner) {
    var showRepos = function () {
      document.querySelectorAll(".repo-group").forEach(function (g) {
        var mine = g.getAttribute("data-owner") === owner.value;
        g.hidden = !mine;
        if (!mine) {
          g.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = false; });
        }
      });
    };
    owner.addEventListener("change", showRepos);
    showRepos();
  }
})();
