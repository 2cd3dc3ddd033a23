// liuhen — the upload page: resumable uploads with tus-js-client (assets/tus.min.js).
// Per file: progress, bytes/s, pause/resume, cancel; unfinished uploads resume after a
// reload once the same file is chosen again (tus fingerprints in localStorage).
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var S = document.getElementById("upload-strings").dataset;
  var list = document.getElementById("upload-list");
  var rowTpl = document.getElementById("upload-row");
  var csrf = (window.liuhen && window.liuhen.csrf) || "";
  var maxSize = Number(form.dataset.maxSize || 0);

  function fmtBytes(n) {
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + " " + u[i];
  }

  function serverMessage(err) {
    var res = err && err.originalResponse;
    if (!res) return "";
    try {
      var body = JSON.parse(res.getBody() || "{}");
      return (body.error && body.error.message) || "";
    } catch (e) { return ""; }
  }

  if (!window.tus || !window.tus.isSupported) {
    form.querySelector("button[type=submit]").disabled = true;
    showNote(S.noTus, true);
    return;
  }

  function showNote(text, bad) {
    var el = document.getElementById("upload-resume");
    el.hidden = false;
    el.className = bad ? "flash-error" : "flash-ok";
    el.textContent = text;
  }

  // Unfinished uploads from an earlier visit: name them, so the user picks them again.
  if (window.tus.defaultOptions.urlStorage && window.tus.defaultOptions.urlStorage.findAllUploads) {
    window.tus.defaultOptions.urlStorage.findAllUploads().then(function (prev) {
      var names = prev.map(function (p) { return p.metadata && p.metadata.filename; }).filter(Boolean);
      if (names.length) showNote(S.resumed + " " + names.join("、"), false);
    }).catch(function () {});
  }

  function field(name) {
    var el = form.elements[name];
    return el && el.value ? el.value.trim() : "";
  }

  function addRow(file) {
    list.hidden = false;
    var tr = rowTpl.content.firstElementChild.cloneNode(true);
    tr.querySelector(".name").textContent = file.name;
    tr.querySelector(".bytes").textContent = "0 / " + fmtBytes(file.size);
    tr.querySelector(".state").textContent = S.waiting;
    list.tBodies[0].appendChild(tr);
    return tr;
  }

  function startFile(file, meta) {
    var tr = addRow(file);
    var bar = tr.querySelector(".progress > div");
    var state = tr.querySelector(".state");
    var speed = tr.querySelector(".speed");
    var pause = tr.querySelector(".pause");
    var cancel = tr.querySelector(".cancel");
    if (maxSize && file.size > maxSize) {
      state.textContent = S.failed + "：" + S.tooLarge;
      state.className = "state tag bad";
      pause.hidden = cancel.hidden = true;
      return;
    }
    var samples = [];
    var recordId = null;
    var paused = false;
    var metadata = { filename: file.name };
    Object.keys(meta).forEach(function (k) { if (meta[k]) metadata[k] = meta[k]; });
    var upload = new window.tus.Upload(file, {
      endpoint: "/api/v1/uploads",
      headers: { "X-CSRF-Token": csrf },
      metadata: metadata,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      removeFingerprintOnSuccess: true,
      onAfterResponse: function (req, res) {
        var id = res.getHeader("Liuhen-Record-Id");
        if (id) recordId = id;
      },
      onProgress: function (sent, total) {
        var now = Date.now();
        samples.push([now, sent]);
        while (samples.length > 2 && now - samples[0][0] > 3000) samples.shift();
        var first = samples[0];
        var rate = now > first[0] ? (sent - first[1]) * 1000 / (now - first[0]) : 0;
        bar.style.width = (total ? (100 * sent / total) : 0).toFixed(1) + "%";
        tr.querySelector(".bytes").textContent = fmtBytes(sent) + " / " + fmtBytes(total);
        speed.textContent = fmtBytes(Math.max(0, Math.round(rate))) + "/s";
        state.textContent = S.uploading;
        state.className = "state";
      },
      onShouldRetry: function (err, attempt, options) {
        var status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        if (!status || status === 409 || status === 423 || status >= 500) {
          state.textContent = S.network;
          return true;
        }
        return false;
      },
      onError: function (err) {
        state.textContent = S.failed + "：" + (serverMessage(err) || S.network);
        state.className = "state tag bad";
        speed.textContent = "";
        pause.hidden = true;
      },
      onSuccess: function () {
        bar.style.width = "100%";
        speed.textContent = "";
        state.textContent = S.done;
        state.className = "state tag ok";
        pause.hidden = cancel.hidden = true;
        if (recordId) {
          var a = document.createElement("a");
          a.href = "/records/" + encodeURIComponent(recordId);
          a.textContent = S.view;
          state.appendChild(document.createTextNode(" "));
          state.appendChild(a);
        }
      }
    });
    pause.addEventListener("click", function () {
      if (!paused) {
        upload.abort();
        paused = true;
        pause.textContent = S.resume;
        state.textContent = S.paused;
        speed.textContent = "";
      } else {
        paused = false;
        samples = [];
        pause.textContent = S.pause;
        upload.start();
      }
    });
    cancel.addEventListener("click", function () {
      upload.abort(true).catch(function () {});
      state.textContent = S.cancelled;
      state.className = "state tag warn";
      pause.hidden = cancel.hidden = true;
      speed.textContent = "";
    });
    upload.findPreviousUploads().then(function (prev) {
      if (prev.length) upload.resumeFromPreviousUpload(prev[0]);
      upload.start();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var files = Array.prototype.slice.call(form.elements.files.files || []);
    var meta = {
      officer: field("officer"),
      agency: field("agency"),
      device: field("device"),
      case_name: field("case_name"),
      party: field("party"),
      camera_operator: field("camera_operator"),
      source: field("source"),
      returned_at: field("returned_at")
    };
    files.forEach(function (f) { startFile(f, meta); });
    form.elements.files.value = "";
  });
})();
