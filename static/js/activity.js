// The activity app's few behaviours, CSP-safe (a static file, no inline handlers, no eval):
// - "/" anywhere outside a text field focuses the top bar's search box;
// - @mention suggestions in comment boxes: typing "@" and the start of a name asks the server
//   (htmx) for the people who can see the object; ↑ and ↓ choose, Enter or Tab takes the
//   chosen one, Escape closes. Without JavaScript one types the username by hand.
(function () {
  "use strict";

  function typing(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var search = document.getElementById("site-search") || document.getElementById("search-page-q");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  // @mentions ----------------------------------------------------------------------------------

  var MENTION = /(^|[^\w.@\/])@([\w.+-]*)$/;
  var timer = null;

  function boxOf(textarea) {
    return document.getElementById(textarea.dataset.mentionBox);
  }

  function options(box) {
    return Array.prototype.slice.call(box.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }

  function activeOption(box) {
    return box.querySelector('[role="option"][aria-selected="true"]');
  }

  function close(textarea) {
    var box = boxOf(textarea);
    if (box) {
      box.hidden = true;
      box.textContent = "";
    }
    textarea.removeAttribute("aria-activedescendant");
  }

  function select(textarea, option) {
    var box = boxOf(textarea);
    options(box).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      textarea.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function partial(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = MENTION.exec(before);
    return match ? { start: before.length - match[2].length - 1, text: match[2] } : null;
  }

  function take(textarea, option) {
    var found = partial(textarea);
    if (!found || !option) { return; }
    var insert = "@" + option.dataset.username + " ";
    var value = textarea.value;
    var end = textarea.selectionStart;
    textarea.value = value.slice(0, found.start) + insert + value.slice(end);
    var caret = found.start + insert.length;
    textarea.setSelectionRange(caret, caret);
    close(textarea);
    textarea.focus();
  }

  function suggest(textarea) {
    var found = partial(textarea);
    if (!found) {
      close(textarea);
      return;
    }
    var box = boxOf(textarea);
    var url = textarea.dataset.mentionUrl + "?q=" + encodeURIComponent(found.text);
    window.htmx.ajax("GET", url, { target: box, swap: "innerHTML" }).then(function () {
      if (!partial(textarea)) {
        close(textarea);
        return;
      }
      box.hidden = false;
      select(textarea, options(box)[0] || null);
    });
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.dataset || !textarea.dataset.mentionUrl) { return; }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { suggest(textarea); }, 120);
  });

  document.addEventListener("keydown", function (event) {
    var textarea = event.target;
    if (!textarea.dataset || !textarea.dataset.mentionUrl) { return; }
    var box = boxOf(textarea);
    if (!box || box.hidden) { return; }
    var all = options(box);
    var index = all.indexOf(activeOption(box));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!all.length) { return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      select(textarea, all[(index + step + all.length) % all.length]);
    } else if ((event.key === "Enter" || event.key === "Tab") && index >= 0) {
      event.preventDefault();
      take(textarea, all[index]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(textarea);
    }
  });

  // A click (or tap) on a suggestion takes it; mousedown, so the text box keeps its focus.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest ? event.target.closest(".mention-box [role=option]") : null;
    if (!option || option.getAttribute("aria-disabled") === "true") { return; }
    var box = option.parentElement;
    var textarea = document.querySelector('[data-mention-box="' + box.id + '"]');
    if (textarea) {
      event.preventDefault();
      take(textarea, option);
    }
  });

  document.addEventListener("focusout", function (event) {
    var textarea = event.target;
    if (textarea.dataset && textarea.dataset.mentionUrl) {
      window.setTimeout(function () {
        if (document.activeElement !== textarea) { close(textarea); }
      }, 150);
    }
  });
})();
