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

  // Lists: a "Select all" box in the table's head ticks every row of its
  // table. Without this script it stays hidden and each row is ticked alone.
  document.querySelectorAll("input.select-all").forEach(function (all) {
    var table = all.closest("table");
    if (!table) return;
    var rows = function () {
      return Array.prototype.slice.call(table.querySelectorAll("tbody input[type=checkbox]"));
    };
    var sync = function () {
      var boxes = rows();
      var ticked = boxes.filter(function (b) { return b.checked; }).length;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    };
    all.hidden = false;
    all.addEventListener("change", function () {
      rows().forEach(function (b) { b.checked = all.checked; });
      all.indeterminate = false;
    });
    table.addEventListener("change", function (ev) {
      if (ev.target !== all) sync();
    });
    sync();
  });

  // A once-shown secret: a Copy button next to its box.
  document.querySelectorAll("textarea[data-copy]").forEach(function (box) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = "Copy";
    var said = document.createElement("span");
    said.className = "copy-status";
    said.setAttribute("aria-live", "polite");
    var done = function (ok) {
      said.textContent = ok ? "Copied to the clipboard." : "Select the token and copy it yourself.";
    };
    button.addEventListener("click", function () {
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(box.value).then(function () { done(true); }, function () {
          box.select();
          done(document.execCommand("copy"));
        });
        return;
      }
      box.select();
      done(document.execCommand("copy"));
    });
    box.insertAdjacentElement("afterend", button);
    button.insertAdjacentElement("afterend", said);
  });
})();
