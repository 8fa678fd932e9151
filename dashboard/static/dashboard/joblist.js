/* Jobs list: "select all on this page", and rows that follow their jobs live over /ws/jobs/.
 * A row whose job changes status is fetched again as the server renders it; progress is drawn
 * in place. Without a socket the list is as of its load. */
(function () {
  "use strict";
  var all = document.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("tr[data-job-id] input[name='ids']").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
  var table = document.querySelector("[data-live-rows]");
  if (!table || !window.QueueLive) return;
  var live = pageLive("/ws/jobs/");
  var fetching = {};

  function row(jobId) {
    return table.querySelector('tr[data-job-id="' + jobId + '"]');
  }

  function refresh(jobId) {
    if (fetching[jobId]) return;
    fetching[jobId] = true;
    fetch("/dashboard/jobs/" + jobId + "/row/", { credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        fetching[jobId] = false;
        var old = row(jobId);
        if (!html || !old) return;
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        var box = old.querySelector("input[name='ids']");
        var newBox = fresh.querySelector("input[name='ids']");
        if (box && newBox) newBox.checked = box.checked;
        old.replaceWith(fresh);
      })
      .catch(function () {
        fetching[jobId] = false;
      });
  }

  live.on("job_status", function (m) {
    var tr = row(m.job_id);
    if (!tr) return;
    if (tr.getAttribute("data-status") !== m.status) {
      refresh(m.job_id);
    } else {
      QueueProgress.draw(tr.querySelector("[data-progress]"), m.progress);
    }
  });
  table.querySelectorAll("tr[data-job-id]").forEach(function (tr) {
    live.subscribe(tr.getAttribute("data-job-id"));
  });
})();
