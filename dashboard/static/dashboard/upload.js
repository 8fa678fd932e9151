/* Uploads: the new-upload form (drag and drop, size and type checked before sending, sent in
 * the background with its progress), then the upload followed live over /ws/jobs/: stage,
 * processed of total, rows per second, time left; when it ends, the server's own rendering of
 * the result replaces the progress. Without JavaScript the form posts and the upload's page
 * shows the state as of its load. */
(function () {
  "use strict";
  var EXTENSIONS = ["xlsx", "csv", "xls", "ods"];
  var FINAL = { completed: true, failed: true, cancelled: true };
  var live = null;

  function fmt(n) {
    return Number(n).toLocaleString("en-US");
  }

  function panelUrl(jobId) {
    return "/dashboard/uploads/" + jobId + "/panel/";
  }

  /* -- following one upload ------------------------------------------------------------- */

  function follow(holder) {
    var panel = holder.querySelector("[data-upload-panel]");
    if (!panel || panel.getAttribute("data-finished") || !window.QueueLive) return;
    var jobId = panel.getAttribute("data-upload-panel");
    var shown = panel.getAttribute("data-status");
    var first = null;
    var refreshing = false;
    live = live || pageLive("/ws/jobs/");

    function refresh() {
      if (refreshing) return;
      refreshing = true;
      fetch(panelUrl(jobId), { credentials: "same-origin" })
        .then(function (r) {
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          refreshing = false;
          if (html === null) return;
          holder.innerHTML = html;
          follow(holder);
        })
        .catch(function () {
          refreshing = false;
        });
    }

    function progress(p) {
      QueueProgress.draw(panel.querySelector("[data-progress]"), p);
      var text = panel.querySelector("[data-progress-text]");
      if (text && (p.stage || p.message)) text.textContent = [p.stage, p.message].filter(Boolean).join(" · ");
      speed(p.processed, p.total);
    }

    function speed(processed, total) {
      var now = Date.now();
      if (!processed) return;
      if (!first) {
        first = { at: now, processed: processed };
        return;
      }
      var seconds = (now - first.at) / 1000;
      var rate = seconds > 0 ? (processed - first.processed) / seconds : 0;
      if (rate <= 0) return;
      panel.querySelector("[data-rate]").textContent = fmt(Math.round(rate)) + " rows/s";
      if (total) {
        var left = Math.max(0, Math.round((total - processed) / rate));
        panel.querySelector("[data-eta]").textContent = "· about " + left + " s left";
      }
    }

    // Handlers outlive the panel they drew (a refresh puts a new one in its place): each
    // answers only while its own panel is on the page.
    function mine(m) {
      return m.job_id === jobId && holder.contains(panel);
    }

    live.on("bulk_upload_progress", function (m) {
      if (!mine(m)) return;
      progress({ percent: m.progress, processed: m.processed, total: m.total, stage: m.stage, message: m.message });
    });
    live.on("job_status", function (m) {
      if (!mine(m)) return;
      if (FINAL[m.status] || m.status !== shown) {
        shown = m.status;
        refresh();
        return;
      }
      progress(m.progress);
    });
    live.on("bulk_upload_complete", function (m) {
      if (mine(m)) refresh();
    });
    live.on("bulk_upload_failed", function (m) {
      if (mine(m)) refresh();
    });
    live.subscribe(jobId);
  }

  document.querySelectorAll("[data-follow-panel]").forEach(function (holder) {
    if (!holder.closest("[data-upload-follow]")) follow(holder);
  });

  /* -- the new-upload form -------------------------------------------------------------- */

  var form = document.querySelector("[data-upload-form]");
  if (!form) return;
  var input = form.querySelector("input[type='file']");
  var zone = form.querySelector("[data-dropzone]");
  var chosen = form.querySelector("[data-chosen]");
  var errorBox = form.querySelector("[data-upload-error]");
  var maxBytes = Number(form.getAttribute("data-max-bytes"));

  function say(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function check() {
    var file = input.files && input.files[0];
    if (!file) return "Choose a file to upload.";
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    if (EXTENSIONS.indexOf(ext) < 0) return file.name + " is not a spreadsheet: upload an xlsx, xls, ods or csv file.";
    if (file.size === 0) return file.name + " is empty.";
    if (file.size > maxBytes) return file.name + " is " + fmt(file.size) + " bytes; the limit is " + fmt(maxBytes) + ".";
    return "";
  }

  function showChosen() {
    var file = input.files && input.files[0];
    chosen.textContent = file ? file.name + " · " + fmt(file.size) + " bytes" : "";
    say(file ? check() : "");
  }

  input.addEventListener("change", showChosen);
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove("over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      showChosen();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var problem = check();
    if (problem) {
      say(problem);
      return;
    }
    say("");
    var followBox = document.querySelector("[data-upload-follow]");
    var bar = followBox.querySelector("[data-send-progress]");
    followBox.hidden = false;
    followBox.querySelector("[data-follow-name]").textContent = input.files[0].name;
    var button = form.querySelector("button[type='submit']");
    button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.pathname);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) QueueProgress.draw(bar, { percent: (e.loaded / e.total) * 100 });
    };
    xhr.onload = function () {
      button.disabled = false;
      var answer = {};
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (e) {
        answer = { error: "The server answered " + xhr.status + "." };
      }
      if (xhr.status !== 202) {
        followBox.hidden = true;
        say(answer.error || "The upload was refused (" + xhr.status + ").");
        return;
      }
      QueueProgress.draw(bar, { percent: 100 });
      bar.hidden = true;
      followBox.querySelector("h2").textContent = input.files[0].name;
      var holder = followBox.querySelector("[data-follow-panel]");
      fetch(panelUrl(answer.job_id), { credentials: "same-origin" })
        .then(function (r) {
          return r.text();
        })
        .then(function (html) {
          holder.innerHTML = html;
          follow(holder);
        });
      form.reset();
      chosen.textContent = "";
    };
    xhr.onerror = function () {
      button.disabled = false;
      followBox.hidden = true;
      say("The upload did not reach the server: check the connection and try again.");
    };
    xhr.send(new FormData(form));
  });
})();
