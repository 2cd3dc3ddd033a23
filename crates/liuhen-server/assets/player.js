// liuhen — the player: a live watermark (viewer + time, every second) and the log of
// what was watched. Played intervals are collected from timeupdate/seeking/pause/ended
// and reported to POST /api/v1/records/{id}/playback (fetch keepalive with the CSRF
// header; sendBeacon as the last resort when the page goes away).
(function () {
  "use strict";
  var box = document.querySelector(".player[data-record]");
  if (!box) return;
  var id = box.dataset.record;
  // The server renders "<viewer> YYYY-MM-DD HH:MM:SS"; the time part is kept current here.
  var wm = box.dataset.watermark || "";
  var viewer = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(wm) ? wm.slice(0, -19).trim() : wm;
  var csrf = (window.liuhen && window.liuhen.csrf) ||
    ((document.querySelector('meta[name="csrf-token"]') || {}).content || "");

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  // The server wrote the time in the bureau's zone (e.g. +08:00), which may differ from the
  // browser's: derive that zone's offset from the rendered time, to the nearest 15 minutes.
  var offsetMs = -new Date().getTimezoneOffset() * 60000;
  var m = /(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(wm);
  if (m) {
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    offsetMs = Math.round((wall - Date.now()) / 900000) * 900000;
  }
  function stamp() {
    var d = new Date(Date.now() + offsetMs);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds());
  }
  var marks = box.querySelectorAll(".watermark span");
  function tickWatermark() {
    var text = viewer + " " + stamp();
    for (var i = 0; i < marks.length; i++) marks[i].textContent = text;
  }
  if (marks.length) { tickWatermark(); setInterval(tickWatermark, 1000); }

  var media = box.querySelector("video, audio");
  if (!media) return;
  var url = "/api/v1/records/" + encodeURIComponent(id) + "/playback";
  var done = [];      // closed intervals not yet reported
  var from = null;    // start of the interval being played
  var last = 0;

  function limit() {
    var d = isFinite(media.duration) ? media.duration : 0;
    return d ? d + 0.5 : Infinity;
  }
  function close(to) {
    if (from !== null && to > from) {
      done.push([Math.round(from * 1000) / 1000, Math.round(Math.min(to, limit()) * 1000) / 1000]);
    }
    from = null;
  }
  media.addEventListener("play", function () { from = media.currentTime; last = from; });
  media.addEventListener("timeupdate", function () {
    if (media.paused || media.seeking) return;
    if (from === null) from = media.currentTime;
    last = media.currentTime;
  });
  media.addEventListener("seeking", function () { close(last); });
  media.addEventListener("seeked", function () {
    last = media.currentTime;
    if (!media.paused) from = last;
  });
  media.addEventListener("pause", function () { close(media.currentTime); send(false); });
  media.addEventListener("ended", function () { close(media.currentTime); send(false); });

  function send(leaving) {
    if (from !== null && leaving) { close(last); }
    if (!done.length) return;
    var intervals = done.splice(0, 1000);
    var body = JSON.stringify({ intervals: intervals });
    try {
      fetch(url, {
        method: "POST",
        keepalive: true,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: body
      }).catch(function () {});
    } catch (e) {
      if (navigator.sendBeacon) navigator.sendBeacon(url, new Blob([body], { type: "application/json" }));
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send(true);
  });
  window.addEventListener("pagehide", function () { send(true); });
})();
