/* A page's live connection: a QueueLive client whose state the top bar shows ("live" while the
 * socket is open, "offline" while it reconnects). */
(function (root) {
  "use strict";
  root.pageLive = function (path) {
    var badge = document.querySelector("[data-live-state]");
    return new root.QueueLive({
      path: path,
      onstate: function (state) {
        if (!badge) return;
        badge.hidden = false;
        badge.textContent = state === "open" ? "live" : state === "connecting" ? "connecting" : "offline";
        badge.className = "live-state " + state;
      },
    });
  };
})(window);
