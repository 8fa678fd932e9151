/* Shared by the jobs list and the job page: draw a job_status snapshot's progress into the
 * markup of partials/progress.html. */
(function (root) {
  "use strict";
  function fmt(n) {
    return Number(n).toLocaleString("en-US");
  }
  root.QueueProgress = {
    draw: function (box, progress) {
      if (!box || !progress) return;
      var percent = Math.round(progress.percent || 0);
      box.setAttribute("aria-valuenow", percent);
      box.querySelector(".bar").style.width = percent + "%";
      var text = percent + "%";
      if (progress.total) text += " · " + fmt(progress.processed) + " of " + fmt(progress.total);
      box.querySelector(".pct").textContent = text;
    },
  };
})(window);
