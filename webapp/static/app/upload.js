/* The upload page: send the file with XMLHttpRequest (upload progress), then poll the ingest job
   (GET /upload/jobs/<id>) for its stage and row counts, then show the report or the error.
   Strings come from the JSON block #upload-strings (current language); every value from the
   server is written with textContent, never as HTML. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  var config = JSON.parse(document.getElementById("upload-strings").textContent);
  var S = config.strings;
  var SEND_SHARE = 40;  /* the part of the bar for sending bytes; the ingest stages share the rest */
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var stageText = document.getElementById("upload-stage");
  var errorBox = document.getElementById("upload-error");
  var report = document.getElementById("upload-report");
  var button = document.getElementById("upload-submit");

  function el(id) { return document.getElementById(id); }

  function setBar(percent, text) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    bar.style.width = value + "%";
    bar.textContent = value + "%";
    bar.parentNode.setAttribute("aria-valuenow", String(value));
    stageText.textContent = text;
  }

  function seen(stage) {
    var list = box.dataset.seen ? box.dataset.seen.split(" ") : [];
    if (list[list.length - 1] !== stage) {
      list.push(stage);
      box.dataset.seen = list.join(" ");
    }
  }

  function reset() {
    box.hidden = false;
    box.dataset.seen = "";
    errorBox.hidden = true;
    report.hidden = true;
    bar.classList.add("progress-bar-animated");
    bar.classList.remove("bg-danger", "bg-success");
    setBar(0, "");
  }

  function fail(message) {
    bar.classList.remove("progress-bar-animated");
    bar.classList.add("bg-danger");
    errorBox.textContent = message;
    errorBox.hidden = false;
    button.disabled = false;
  }

  function stageLabel(status) {
    var text = S["upload_stage_" + status.stage] || status.stage;
    var n = status.rows[status.stage];
    return text.replace("{n}", n === undefined ? "" : String(n));
  }

  function explained(list, target, title) {
    target.textContent = "";
    title.hidden = list.length === 0;
    list.forEach(function (reason) {
      var item = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = reason.code;
      item.appendChild(code);
      var first = config.lang === "en" ? reason.en : reason.vi;
      var second = config.lang === "en" ? reason.vi : reason.en;
      item.appendChild(document.createTextNode(" × " + reason.count + ": " + first + " / " + second));
      if (reason.fix) {
        item.appendChild(document.createElement("br"));
        item.appendChild(document.createTextNode(S.upload_fix + ": " + reason.fix));
      }
      target.appendChild(item);
    });
  }

  function link(href, text, id) {
    var a = document.createElement("a");
    a.href = href;
    a.id = id;
    a.className = "btn btn-outline-secondary btn-sm me-2";
    a.textContent = text;
    return a;
  }

  function showReport(status) {
    var r = status.report;
    el("report-title").textContent = status.dry_run ? S.upload_report_dry : S.upload_report;
    el("report-file").textContent = status.filename + " · " + status.kind + " · " + status.seconds + " " +
      S.upload_seconds;
    ["read", "loaded", "rejected", "duplicates", "review"].forEach(function (key) {
      el("report-" + key).textContent = r[key] === undefined ? "–" : String(r[key]);
    });
    el("report-dropped").textContent = (r.dropped_columns || []).join(", ") || "–";
    el("report-batch").textContent = r.batch_id === null ? "–" : "#" + r.batch_id;
    explained(r.reasons, el("report-reasons"), el("reasons-title"));
    explained(r.warnings, el("report-warnings"), el("warnings-title"));
    var links = el("report-links");
    links.textContent = "";
    var next = status.links || {};
    if (next.quarantine) {
      links.appendChild(link(next.quarantine, S.upload_quarantine, "link-quarantine"));
    }
    if (next.review) {
      links.appendChild(link(next.review, S.upload_review, "link-review"));
    }
    report.hidden = false;
    button.disabled = false;
  }

  function poll(url) {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        var status = answer.body;
        if (!answer.ok) {
          fail(status.error || String(status.status));
          return;
        }
        seen(status.stage);
        var index = status.stage_index === null ? 0 : status.stage_index;
        var share = SEND_SHARE + (100 - SEND_SHARE) * index / (status.stages.length - 1);
        setBar(share, stageLabel(status));
        if (status.state === "running") {
          window.setTimeout(function () { poll(url); }, 400);
        } else if (status.state === "done") {
          bar.classList.remove("progress-bar-animated");
          bar.classList.add("bg-success");
          showReport(status);
        } else {
          fail(S.upload_failed + ": " + status.error);
        }
      })
      .catch(function (error) { fail(S.upload_failed + ": " + error); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    reset();
    var file = form.elements.file.files[0];
    var limit = Number(form.dataset.maxBytes || 0);
    if (file && limit && file.size > limit) {
      fail(S.too_large);
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        seen("sending");
        setBar(SEND_SHARE * e.loaded / e.total, S.upload_sending + " (" + Math.round(100 * e.loaded / e.total) + "%)");
      }
    };
    xhr.onload = function () {
      var body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (ignored) {
        body = {error: xhr.status === 413 ? S.too_large : xhr.status + " " + xhr.statusText};
      }
      if (xhr.status === 202) {
        setBar(SEND_SHARE, S.upload_stage_queued);
        poll(body.status_url);
      } else {
        fail(body.error);
      }
    };
    xhr.onerror = function () { fail(S.network); };
    button.disabled = true;
    xhr.send(new FormData(form));
  });

  if (form.dataset.jobUrl) {
    reset();
    button.disabled = true;
    poll(form.dataset.jobUrl);
  }
}());
