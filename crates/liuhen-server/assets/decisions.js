// Decisions: the drafting form offers the measures of the chosen kind only; uploading a
// new version of a draft document (PUT to the API with the session's CSRF token), then
// reloading the decision page.
(function () {
  "use strict";
  var csrf = (window.liuhen && window.liuhen.csrf) || "";
  var kind = document.getElementById("d_kind");
  var measure = document.getElementById("d_measure");
  function offerMeasures() {
    var current = measure.options[measure.selectedIndex];
    Array.prototype.forEach.call(measure.options, function (o) {
      var fits = o.getAttribute("data-kind") === kind.value;
      o.hidden = !fits;
      o.disabled = !fits;
    });
    if (!current || current.disabled) {
      var first = Array.prototype.find.call(measure.options, function (o) { return !o.disabled; });
      if (first) measure.value = first.value;
    }
  }
  if (kind && measure) {
    kind.addEventListener("change", offerMeasures);
    offerMeasures();
  }
  document.querySelectorAll("form.draft-upload").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      if (!file) return;
      var url = form.getAttribute("data-url") + "?file_name=" + encodeURIComponent(file.name);
      fetch(url, {
        method: "PUT",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/octet-stream" },
        body: file,
        credentials: "same-origin"
      }).then(function (res) {
        if (res.ok) { window.location.reload(); return; }
        return res.json().then(function (j) { window.alert(j.message || res.statusText); });
      }).catch(function (err) { window.alert(String(err)); });
    });
  });
})();
