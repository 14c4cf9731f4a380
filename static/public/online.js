// 网上反映: "获取验证码" sends the phone number to the API and counts down before another try.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var button = document.getElementById("send-code");
    var status = document.getElementById("sms-status");
    var phone = document.getElementById("id_phone");
    if (!button || !status || !phone) { return; }
    function countdown(seconds) {
      button.disabled = true;
      var left = seconds;
      var label = button.textContent;
      var timer = window.setInterval(function () {
        left -= 1;
        button.textContent = left + " " + status.dataset.wait;
        if (left <= 0) {
          window.clearInterval(timer);
          button.disabled = false;
          button.textContent = label;
        }
      }, 1000);
    }
    button.addEventListener("click", function () {
      status.textContent = "";
      fetch(button.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ phone: phone.value }),
        credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 202) {
          status.textContent = status.dataset.sent;
          status.classList.add("sent");
          countdown(60);
        } else {
          status.textContent = status.dataset.failed;
        }
      }).catch(function () { status.textContent = status.dataset.failed; });
    });
  });
})();
