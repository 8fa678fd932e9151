/*
 * QueueLive: a small client for queueproject's WebSocket protocol (README, "WebSocket").
 *
 *   const live = new QueueLive({ path: "/ws/jobs/" });      // in a page: the session cookie
 *   const live = new QueueLive({ url: "ws://host:8000/ws/jobs/", token: "<API token>" });
 *   live.on("bulk_upload_progress", (m) => bar.style.width = m.progress + "%");
 *   live.on("job_status", (m) => console.log(m.job_id, m.status));
 *   live.on("error", (m) => console.warn(m.code, m.message));
 *   live.on("*", (m) => ...);                                // every message
 *   live.onstate = (state) => ...;                           // "connecting" | "open" | "closed"
 *   live.subscribe(jobId); live.unsubscribe(jobId); live.close();
 *
 * Messages are full snapshots, so after a lost connection the client reconnects (backoff from
 * minDelay to maxDelay ms, with jitter) and subscribes again to every job it followed; the server
 * answers each subscription with the job's current state. A refusal of the credentials (close
 * code 4401 or 4403) is final: the client reports it and stops. A message older (by its
 * updated_at) than one already delivered for the same job is stale and is dropped.
 */
(function (root) {
  "use strict";

  var REFUSED = { 4401: true, 4403: true };

  function QueueLive(options) {
    options = options || {};
    this.url = options.url || defaultUrl(options.path || "/ws/jobs/");
    this.token = options.token || null;
    this.minDelay = options.minDelay || 500;
    this.maxDelay = options.maxDelay || 30000;
    this.WebSocket = options.WebSocket || root.WebSocket;
    this.handlers = {};
    this.jobs = {};       // job id -> true while subscribed
    this.latest = {};     // job id -> the newest updated_at delivered
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.onstate = options.onstate || null;
    this.connect();
  }

  function defaultUrl(path) {
    var scheme = root.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + root.location.host + path;
  }

  QueueLive.prototype.on = function (type, callback) {
    (this.handlers[type] = this.handlers[type] || []).push(callback);
    return this;
  };

  QueueLive.prototype.subscribe = function (jobId) {
    this.jobs[jobId] = true;
    this.send({ action: "subscribe", job_id: jobId });
  };

  QueueLive.prototype.unsubscribe = function (jobId) {
    delete this.jobs[jobId];
    this.send({ action: "unsubscribe", job_id: jobId });
  };

  QueueLive.prototype.close = function () {
    this.stopped = true;
    if (this.socket) this.socket.close(1000);
  };

  QueueLive.prototype.send = function (message) {
    // Not open yet: the subscription is remembered and sent by onopen.
    if (this.socket && this.socket.readyState === 1) this.socket.send(JSON.stringify(message));
  };

  QueueLive.prototype.connect = function () {
    var self = this;
    var url = this.token ? withToken(this.url, this.token) : this.url;
    this.state("connecting");
    var socket = (this.socket = new this.WebSocket(url));
    socket.onopen = function () {
      self.attempt = 0;
      self.state("open");
      Object.keys(self.jobs).forEach(function (jobId) {
        self.send({ action: "subscribe", job_id: jobId });
      });
    };
    socket.onmessage = function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      self.deliver(message);
    };
    var lost = false;
    function gone(code) {
      if (lost) return; // a failed connect may report both an error and a close
      lost = true;
      self.state("closed");
      if (self.stopped || REFUSED[code]) return;
      var ceiling = Math.min(self.maxDelay, self.minDelay * Math.pow(2, self.attempt++));
      setTimeout(function () {
        if (!self.stopped) self.connect();
      }, ceiling / 2 + Math.random() * (ceiling / 2));
    }
    socket.onclose = function (event) {
      gone(event.code);
    };
    socket.onerror = function () {
      // Some implementations (Node 20's) never fire close when the connection is refused.
      if (socket.readyState !== 1) gone(1006);
    };
  };

  QueueLive.prototype.deliver = function (message) {
    var jobId = message.job_id;
    var at = message.updated_at;
    if (jobId && at) {
      if (this.latest[jobId] && at < this.latest[jobId]) return; // older than what it shows
      this.latest[jobId] = at;
    }
    this.emit(message.type, message);
    this.emit("*", message);
  };

  QueueLive.prototype.emit = function (type, message) {
    (this.handlers[type] || []).forEach(function (callback) {
      callback(message);
    });
  };

  QueueLive.prototype.state = function (state) {
    if (this.onstate) this.onstate(state);
  };

  function withToken(url, token) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "token=" + encodeURIComponent(token);
  }

  if (typeof module === "object" && module.exports) module.exports = QueueLive;
  else root.QueueLive = QueueLive;
})(typeof self !== "undefined" ? self : globalThis);
