/* The roadmap editor: drag and drop with SortableJS, focus kept across htmx swaps, Escape to
   cancel an in-place edit. Every action here also exists without JavaScript (forms, links). */
(function () {
  "use strict";

  var pendingFocus = null;

  function neighbour(item, step) {
    var el = step < 0 ? item.previousElementSibling : item.nextElementSibling;
    while (el && !el.classList.contains("card-item")) {
      el = step < 0 ? el.previousElementSibling : el.nextElementSibling;
    }
    return el ? el.dataset.id : "";
  }

  function initBoard(root) {
    if (typeof Sortable === "undefined") return;
    var lists = root.querySelectorAll ? root.querySelectorAll("ol.cards[data-sortable]") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      Sortable.create(list, {
        group: "roadmap",
        draggable: ".card-item",
        handle: ".drag-handle",
        forceFallback: true,
        animation: 120,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        onEnd: function (evt) {
          if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var item = evt.item;
          pendingFocus = { key: null, fallback: "title-" + item.dataset.id };
          htmx.ajax("POST", item.dataset.moveUrl, {
            source: item,
            target: "#roadmap",
            swap: "outerHTML",
            values: {
              horizon: evt.to.dataset.horizon,
              position: String(evt.newDraggableIndex),
              before: neighbour(item, 1),
              after: neighbour(item, -1),
            },
          });
        },
      });
    });
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    if (!active || active === document.body) return;
    var holder = active.closest("[data-focus-return]");
    pendingFocus = {
      key: holder ? holder.dataset.focusReturn : active.dataset.focus || null,
      fallback: active.dataset.focusFallback || null,
    };
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingFocus) return;
    var wanted = pendingFocus;
    pendingFocus = null;
    if (document.activeElement && document.activeElement.closest(".inplace-form")) return;
    var keys = [wanted.key, wanted.fallback];
    for (var i = 0; i < keys.length; i++) {
      if (!keys[i]) continue;
      var el = document.querySelector('[data-focus="' + CSS.escape(keys[i]) + '"]');
      if (el) {
        el.focus();
        return;
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var form = event.target.closest && event.target.closest(".inplace-form");
    if (!form) return;
    var cancel = form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  htmx.onLoad(initBoard);
})();
