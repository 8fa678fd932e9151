/* Job panel: the data is checked as a JSON object before the form is sent (the server checks
 * it again). */
(function () {
  "use strict";
  var form = document.querySelector("[data-job-panel]");
  if (!form) return;
  var data = form.querySelector("textarea[name='arguments']");
  function check() {
    var message = "";
    try {
      var value = JSON.parse(data.value || "{}");
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        message = "The data must be a JSON object: {...}.";
      }
    } catch (e) {
      message = "Not valid JSON: " + e.message;
    }
    data.setCustomValidity(message);
    return message;
  }
  data.addEventListener("input", function () {
    check();
    data.reportValidity();
  });
  form.addEventListener("submit", function (event) {
    if (check()) {
      event.preventDefault();
      data.reportValidity();
    }
  });
})();
