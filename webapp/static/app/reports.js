/* The reports page: each form[data-download] is posted with fetch, a spinner and "Đang tạo…"
   show while the file is prepared, and the answer is saved under the server's file name.
   Without JavaScript the forms post normally and the browser downloads the attachment. */
(function () {
  "use strict";
  var words = {};
  var template = document.getElementById("download-words");
  if (template) {
    template.content.querySelectorAll("[data-key]").forEach(function (node) {
      words[node.dataset.key] = node.textContent;
    });
  }

  function fileName(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) { return decodeURIComponent(star[1]); }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : "download";
  }

  function errorText(body) {
    var page = new DOMParser().parseFromString(body, "text/html");
    return (page.body && page.body.textContent.trim()) || body;
  }

  function show(status, state, text) {
    status.dataset.state = state;
    status.textContent = "";
    if (state === "working") {
      var spinner = document.createElement("span");
      spinner.className = "spinner-border spinner-border-sm me-1";
      spinner.setAttribute("aria-hidden", "true");
      status.appendChild(spinner);
    }
    status.appendChild(document.createTextNode(text));
    status.className = "download-status small ms-2" + (state === "failed" ? " text-danger" : "");
  }

  document.querySelectorAll("form[data-download]").forEach(function (form) {
    var status = form.querySelector(".download-status");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      show(status, "working", words.working || "…");
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) {
            return response.text().then(function (body) { throw new Error(errorText(body)); });
          }
          return response.blob().then(function (blob) {
            var url = URL.createObjectURL(blob);
            var link = document.createElement("a");
            link.href = url;
            link.download = fileName(response);
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
            show(status, "done", (words.done || "OK") + ": " + link.download);
          });
        })
        .catch(function (error) {
          show(status, "failed", (words.failed || "Error") + ": " + error.message);
        })
        .finally(function () { button.disabled = false; });
    });
  });
})();
