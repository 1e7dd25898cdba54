/* The roadmap board and table: drag and drop with SortableJS, the cards' Move… menus, focus
   kept across htmx swaps, Escape to cancel an editor or close a Move… menu. Every action here
   also exists without JavaScript (links to the item's page, the Move… form, "Show more"). */
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

  /* Every card's address is the board's one base address, the card's id and the action. */
  function moveUrl(list, id) {
    var board = list.closest("[data-items-url]");
    return board.dataset.itemsUrl + id + "/move/" + (board.dataset.query || "");
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
          pendingFocus = { key: "m-" + item.dataset.id, fallback: null };
          htmx.ajax("POST", moveUrl(evt.to, item.dataset.id), {
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

  /* Focus goes back to the control that asked, found again by its id after the swap: the
     holder's data-focus-return (an editor's form, a Move… menu) or the control's own id. */
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    if (!active || active === document.body) return;
    var holder = active.closest("[data-focus-return]");
    pendingFocus = {
      key: holder ? holder.dataset.focusReturn : active.id || null,
      fallback: null,
    };
  });

  document.addEventListener("htmx:afterSettle", function () {
    // An editor that just came in has its first field focused by htmx itself ([autofocus], as
    // it settles, in the swap's moment: base.html's defaultSettleDelay 0); it keeps the focus.
    if (!pendingFocus) return;
    var wanted = pendingFocus;
    pendingFocus = null;
    if (document.activeElement && document.activeElement.closest(".item-editor")) return;
    var keys = [wanted.key, wanted.fallback];
    for (var i = 0; i < keys.length; i++) {
      var el = keys[i] && document.getElementById(keys[i]);
      if (el) {
        el.focus();
        return;
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest(".item-editor");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
      return;
    }
    var menu = event.target.closest("details.move-menu[open]");
    if (menu) {
      event.preventDefault();
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  /* A step of a card's Move… menu: posted to the form's own address (which, without
     JavaScript, asks on a page of its own), with the page's filters. */
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest(".move-menu form");
    if (!form || !event.submitter) return;
    event.preventDefault();
    var board = form.closest("[data-items-url]");
    htmx.ajax("POST", form.getAttribute("action") + (board.dataset.query || ""), {
      source: form,
      target: "#roadmap",
      swap: "outerHTML",
      values: { to: event.submitter.value },
    });
  });

  /* One Move… menu open at a time. */
  document.addEventListener(
    "toggle",
    function (event) {
      var opened = event.target;
      if (!opened.matches || !opened.matches("details.move-menu") || !opened.open) return;
      document.querySelectorAll("details.move-menu[open]").forEach(function (other) {
        if (other !== opened) other.open = false;
      });
    },
    true
  );

  htmx.onLoad(initBoard);
})();
