/* Job page: a copy button for the id, and live progress over /ws/jobs/. When the job changes
 * status the page is loaded again, so its attempts and timeline are the server's. */
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.querySelector(button.getAttribute("data-copy")).textContent.trim();
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () {
          button.textContent = "Copy id";
        }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done);
      else {
        var range = document.createRange();
        range.selectNodeContents(document.querySelector(button.getAttribute("data-copy")));
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        document.execCommand("copy");
        done();
      }
    });
  });
  var head = document.querySelector("[data-job-detail]");
  if (!head || !window.QueueLive) return;
  var jobId = head.getAttribute("data-job-detail");
  var shown = document.querySelector("[data-cell='status'] .badge").textContent.trim();
  var live = pageLive("/ws/jobs/");
  live.on("job_status", function (m) {
    if (m.job_id !== jobId) return;
    if (m.status !== shown) {
      window.location.reload();
      return;
    }
    QueueProgress.draw(document.querySelector("[data-cell='progress'] [data-progress]"), m.progress);
    var text = document.querySelector("[data-progress-text]");
    if (text) text.textContent = [m.progress.stage, m.progress.message].filter(Boolean).join(" · ");
  });
  live.subscribe(jobId);
})();
