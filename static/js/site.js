// Behaviour shared by every page, wired here because the Content-Security-Policy allows no inline script or
// event handler attribute (docs/SECURITY.md):
//   <button data-print>              prints the page (receipts, bulletins, the library's pages);
//   <select data-autosubmit>         submits its form when the choice changes (the language switch);
//   <form data-confirm="question">   asks before sending (退回, 办结, 销号, 撤回: irreversible commands).
(function () {
  "use strict";
  function wire() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.submit();
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
