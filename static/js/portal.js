/* The portal's own behaviour, loaded on every page by base.html. The Content-Security-Policy allows no inline
   scripts, inline event handlers (onclick=...) or style attributes, so pages mark elements with data- attributes
   and this file does the rest. Listeners are delegated from the document, so content htmx swaps in works too. */
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (the round picker).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    // <input data-select-on-click>: a click selects the whole value, ready to copy (the calendar link).
    var selectable = target.closest("[data-select-on-click]");
    if (selectable) { selectable.select(); }
    // <button data-copy-target="id">: copies the value of the element with that id.
    var copier = target.closest("[data-copy-target]");
    if (copier && navigator.clipboard) {
      var source = document.getElementById(copier.getAttribute("data-copy-target"));
      if (source) { navigator.clipboard.writeText(source.value); }
    }
  });

  // <div class="progress-bar" data-progress="40">: its width, which a style attribute would have set.
  function showProgress(root) {
    var bars = (root || document).querySelectorAll("[data-progress]");
    Array.prototype.forEach.call(bars, function (bar) {
      var value = parseInt(bar.getAttribute("data-progress"), 10);
      bar.style.width = (isNaN(value) ? 0 : Math.max(0, Math.min(100, value))) + "%";
    });
  }
  showProgress(document);
  document.addEventListener("htmx:load", function (event) { showProgress(event.target); });

  // The team form's member list: filter by name or employee number, and count the ticked members.
  var search = document.getElementById("member-search");
  var list = document.getElementById("member-list");
  if (search && list) {
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-search]"));
    var none = document.getElementById("member-none");
    var count = document.getElementById("chosen-count");
    search.addEventListener("input", function () {
      var query = search.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var match = !query || item.getAttribute("data-search").indexOf(query) !== -1;
        item.classList.toggle("d-none", !match);
        if (match) { shown += 1; }
      });
      if (none) { none.classList.toggle("d-none", shown !== 0 || items.length === 0); }
    });
    list.addEventListener("change", function () {
      if (count) { count.textContent = list.querySelectorAll('input[name="members"]:checked').length; }
    });
  }
})();
