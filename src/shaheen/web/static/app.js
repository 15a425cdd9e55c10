/* The desk's few behaviours: keyboard moves in the queue, blurred media revealed on click,
   and the reason list narrowed to the chosen verdict. No framework, nothing remote. */
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); }
  var current = -1;
  function select(i) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r, n) { r.classList.toggle("current", n === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target && event.target.tagName) || "";
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!rows().length) return;
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0) { window.location = rows()[current].dataset.href; }
    else if (event.key === "x" && current >= 0) {
      var box = rows()[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
    }
  });
  document.addEventListener("click", function (event) {
    var thumb = event.target.closest && event.target.closest(".thumb");
    if (!thumb) return;
    var shown = thumb.classList.toggle("blurred") === false;
    thumb.setAttribute("aria-pressed", shown ? "true" : "false");
  });
  document.addEventListener("change", function (event) {
    if (event.target.name !== "verdict" || event.target.type !== "radio") return;
    var verdict = event.target.value;
    var reason = document.getElementById("reason");
    if (!reason) return;
    Array.prototype.forEach.call(reason.querySelectorAll("option[data-verdict]"), function (o) {
      o.hidden = o.dataset.verdict !== verdict;
      o.disabled = o.dataset.verdict !== verdict;
    });
    if (reason.selectedOptions[0] && reason.selectedOptions[0].disabled) reason.value = "";
  });
})();
/* The banks page: a file dropped on the look-up form is posted at once, and the
   matches replace the result below it (the form also works without a script). */
(function () {
  "use strict";
  function post(form, file) {
    var data = new FormData();
    data.append("csrf", form.querySelector("input[name=csrf]").value);
    data.append("file", file, file.name);
    var result = document.getElementById("lookup-result");
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.text(); }).then(function (html) { result.innerHTML = html; });
  }
  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (zone) zone.classList.remove("over");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".dropzone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("over");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (files && files.length) post(zone, files[0]);
  });
})();
