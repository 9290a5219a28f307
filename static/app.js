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

    // Expirations beyond the chosen owner's maximum lifetime are not
    // available; a choice that no longer fits moves to the longest that does.
    var expiration = document.getElementById("expiration");
    var limitExpirations = function () {
      var chosen = owner.options[owner.selectedIndex];
      var max = parseInt(chosen && chosen.getAttribute("data-max-days"), 10) || 0;
      var longest = null;
      Array.prototype.forEach.call(expiration.options, function (o) {
        var days = o.value === "none" ? 0 : parseInt(o.value, 10);
        o.disabled = max > 0 && (days === 0 || days > max);
        if (!o.disabled && days > 0 && (!longest || days > parseInt(longest.value, 10))) longest = o;
      });
      var sel = expiration.options[expiration.selectedIndex];
      if (sel && sel.disabled && longest) longest.selected = true;
    };
    if (expiration) owner.addEventListener("change", limitExpirations);
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

  // Organization PAT settings: the automatic approval rules apply only
  // while approval is required, so they are hidden while it is not.
  var auto = document.getElementById("auto-approval");
  if (auto) {
    var autoForm = auto.closest("form");
    var showAuto = function () {
      var chosen = autoForm.querySelector("input[name=approval]:checked");
      auto.hidden = !!chosen && chosen.value !== "required";
    };
    autoForm.addEventListener("change", showAuto);
    showAuto();
  }

  // Destructive and bulk actions: ask in a dialog instead of the server's
  // confirmation page. The element asking is the clicked button, or a
  // checked option, carrying data-confirm (the question), optionally
  // data-confirm-detail, and data-confirm-button (the going-ahead button's
  // name). Going ahead posts the form with confirm=yes, as that page does.
  var hidden = function (form, name, value) {
    var i = document.createElement("input");
    i.type = "hidden";
    i.name = name;
    i.value = value;
    form.appendChild(i);
  };
  var ask = function (src, proceed) {
    var dlg = document.createElement("dialog");
    dlg.className = "confirm-dialog";
    dlg.setAttribute("aria-labelledby", "confirm-dialog-title");
    var h = document.createElement("h2");
    h.id = "confirm-dialog-title";
    h.textContent = src.getAttribute("data-confirm");
    dlg.appendChild(h);
    if (src.hasAttribute("data-confirm-detail")) {
      var p = document.createElement("p");
      p.textContent = src.getAttribute("data-confirm-detail");
      dlg.appendChild(p);
    }
    var actions = document.createElement("div");
    actions.className = "form-actions";
    var back = document.createElement("button");
    back.type = "button";
    back.className = "btn";
    back.textContent = "Back";
    back.addEventListener("click", function () { dlg.close(); });
    var go = document.createElement("button");
    go.type = "button";
    go.className = "btn btn-danger";
    go.textContent = src.getAttribute("data-confirm-button");
    go.addEventListener("click", function () { dlg.close(); proceed(); });
    actions.appendChild(back);
    actions.appendChild(go);
    dlg.appendChild(actions);
    dlg.addEventListener("close", function () { dlg.remove(); });
    document.body.appendChild(dlg);
    dlg.showModal();
  };
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var by = ev.submitter;
    var src = by && by.hasAttribute("data-confirm") ? by : form.querySelector("input:checked[data-confirm]");
    if (!src) return;
    // A bulk form with nothing selected: the server says so, no question.
    if (form.querySelector("input[name=id]") && !form.querySelector("input[name=id]:checked")) return;
    ev.preventDefault();
    ask(src, function () {
      // What the question confirmed: everything ("yes"), unless the asking
      // element names less (data-confirm-value).
      hidden(form, "confirm", src.getAttribute("data-confirm-value") || "yes");
      if (by && by.name) hidden(form, by.name, by.value);
      form.submit();
    });
  });
})();
