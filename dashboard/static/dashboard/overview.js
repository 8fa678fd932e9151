/* Overview: the counts change live over /ws/dashboard/ (queue_stats snapshots). Without a socket
 * the page still shows the counts as of its load. */
(function () {
  "use strict";
  var table = document.querySelector("[data-live-counts='on']");
  if (!table || !window.QueueLive) return;
  var live = pageLive("/ws/dashboard/");
  function put(key, value) {
    var cell = table.querySelector('[data-stat="' + key + '"]');
    if (cell) cell.textContent = Number(value).toLocaleString("en-US");
  }
  live.on("queue_stats", function (m) {
    var stats = m.data;
    Object.keys(stats).forEach(function (key) {
      if (key !== "queues") put("all:" + key, stats[key]);
    });
    Object.keys(stats.queues || {}).forEach(function (queue) {
      var counts = stats.queues[queue];
      Object.keys(counts).forEach(function (key) {
        if (key !== "is_paused") put(queue + ":" + key, counts[key]);
      });
      var row = table.querySelector('tr[data-queue="' + queue + '"] [data-paused]');
      if (row) row.hidden = !counts.is_paused;
    });
  });
})();
