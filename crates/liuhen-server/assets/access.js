// liuhen — access requests: attach the scan of a paper (PUT of the file's bytes).
(function () {
  "use strict";
  var csrf = (window.liuhen && window.liuhen.csrf) || "";
  document.querySelectorAll("form.paper-upload").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      if (!file) return;
      var url = form.getAttribute("data-url") + "?file_name=" + encodeURIComponent(file.name);
      fetch(url, {
        method: "PUT",
        headers: { "X-CSRF-Token": csrf, "Content-Type": file.type || "application/octet-stream" },
        body: file,
        credentials: "same-origin"
      }).then(function (res) {
        if (res.ok) { window.location.reload(); return; }
        return res.json().then(function (j) { window.alert(j.message || res.statusText); });
      }).catch(function (err) { window.alert(String(err)); });
    });
  });
})();
