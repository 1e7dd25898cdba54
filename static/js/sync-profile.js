// Profile page: the Copy button next to the calendar address. Without JavaScript the address
// stays a read-only field to select and copy by hand, and the button stays hidden.
(function () {
  "use strict";

  function copy(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.focus();
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var input = document.getElementById(button.dataset.copyTarget);
    var status = document.getElementById(button.dataset.copyTarget + "-status");
    if (!input) {
      return;
    }
    button.hidden = false;
    input.addEventListener("focus", function () {
      input.select();
    });
    button.addEventListener("click", function () {
      copy(input).then(
        function () {
          button.textContent = "Copied";
          if (status) { status.textContent = "Address copied to the clipboard."; }
          window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
        },
        function () {
          input.select();
          if (status) { status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected address."; }
        }
      );
    });
  });
})();
