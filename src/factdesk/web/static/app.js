/* factdesk web desk: progressive enhancement only; every page works without this file. */
(function () {
  "use strict";

  function followJob(box) {
    var id = box.getAttribute("data-check-id");
    var statusEl = document.getElementById("job-status");
    var stageEl = document.getElementById("job-stage");
    var bar = document.getElementById("job-progress");
    var errorEl = document.getElementById("job-error");
    var delay = 500;
    function tick() {
      fetch("/api/checks/" + encodeURIComponent(id) + "?include_report=false",
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.error && !job.status) { throw new Error(job.error.message); }
          statusEl.textContent = job.status;
          statusEl.className = "status status-" + job.status;
          stageEl.textContent = job.stage || job.status;
          bar.value = job.progress || 0;
          if (job.status === "done") { window.location.reload(); return; }
          if (job.status === "failed") {
            errorEl.textContent = job.error || "the check failed";
            errorEl.hidden = false;
            document.getElementById("job-hint").textContent = "";
            return;
          }
          delay = Math.min(delay * 1.3, 3000);
          window.setTimeout(tick, delay);
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  }

  function claimFilter(bar) {
    bar.hidden = false;
    var buttons = bar.querySelectorAll("button[data-filter]");
    var claims = document.querySelectorAll("article.claim");
    function apply(mode) {
      claims.forEach(function (c) {
        var label = c.getAttribute("data-label");
        var show = mode === "all" ||
          (mode === "decided" && label !== "not_enough_evidence" && label !== "unchecked") ||
          (mode === "unapproved" && c.getAttribute("data-approved") !== "1");
        c.hidden = !show;
      });
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-filter") === mode));
      });
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { apply(b.getAttribute("data-filter")); });
    });
  }

  function highlightTarget() {
    document.querySelectorAll(".hl.active, .claim.active").forEach(function (el) {
      el.classList.remove("active");
    });
    var id = window.location.hash.slice(1);
    if (!id) { return; }
    var el = document.getElementById(id);
    if (!el) { return; }
    var other = null;
    if (id.indexOf("claim-") === 0) { other = document.getElementById("hl-" + id.slice(6)); }
    if (id.indexOf("hl-") === 0) { other = document.getElementById("claim-" + id.slice(3)); }
    el.classList.add("active");
    if (other) {
      other.classList.add("active");
      if (id.indexOf("hl-") === 0 && other.hidden === false) {
        other.scrollIntoView({block: "nearest"});
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var job = document.getElementById("job");
    if (job) {
      var st = job.getAttribute("data-status");
      if (st === "queued" || st === "running") { followJob(job); }
    }
    var filter = document.getElementById("claim-filter");
    if (filter) { claimFilter(filter); }
    window.addEventListener("hashchange", highlightTarget);
    highlightTarget();
  });
})();
