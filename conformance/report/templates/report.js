"use strict";
(function () {
  var ALL = ["FAIL", "ERROR", "WARN", "FLAKY", "UNSUPPORTED", "SKIP", "PASS"];
  var PROBLEMS = ["FAIL", "ERROR", "WARN", "FLAKY"];
  // A run with problems opens on them; a clean run opens on everything.
  var DEFAULT = document.body.getAttribute("data-default") ? document.body.getAttribute("data-default").split(",") : ALL;
  var $ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // The filter state lives in the URL fragment, so a filtered view (or one opened result) is a link:
  // #verdict=FAIL,ERROR&area=stream&q=text&open=r12
  function state() {
    var p = new URLSearchParams(location.hash.slice(1));
    var v = p.get("verdict");
    return {
      verdicts: v === null ? DEFAULT.slice() : v.split(",").filter(function (x) { return ALL.indexOf(x) >= 0; }),
      area: p.get("area") || "",
      q: (p.get("q") || "").toLowerCase(),
      open: p.get("open") || ""
    };
  }

  function write(s) {
    var p = new URLSearchParams();
    if (s.verdicts.slice().sort().join() !== DEFAULT.slice().sort().join()) p.set("verdict", s.verdicts.join(","));
    if (s.area) p.set("area", s.area);
    if (s.q) p.set("q", s.q);
    location.hash = p.toString();
  }

  function fill(details) {
    var key = details.getAttribute("data-exchange");
    if (!key || details.getAttribute("data-filled")) return;
    var tpl = document.getElementById(key);
    if (tpl) details.querySelector(".slot").appendChild(tpl.content.cloneNode(true));
    details.setAttribute("data-filled", "1");
    var ev = details.getAttribute("data-event");
    if (ev === null) return;
    var hit = $(".l[data-e=\"" + ev + "\"]", details);
    hit.forEach(function (l) { l.classList.add("hit"); });
    // Scroll the stream's own box (not the page) so the highlighted event is in view.
    if (hit.length) { var pre = hit[0].parentNode; pre.scrollTop = Math.max(0, hit[0].offsetTop - pre.clientHeight / 3); }
  }

  function apply() {
    var s = state(), shown = 0;
    $("button.verdict").forEach(function (b) {
      b.setAttribute("aria-pressed", String(s.verdicts.indexOf(b.getAttribute("data-verdict")) >= 0));
    });
    document.getElementById("area").value = s.area;
    document.getElementById("q").value = s.q;
    $("section.area").forEach(function (sec) {
      var areaOk = !s.area || sec.getAttribute("data-area") === s.area, anyCheck = false;
      $("article.check", sec).forEach(function (art) {
        var any = false;
        $("tr.row", art).forEach(function (tr) {
          var ok = areaOk && s.verdicts.indexOf(tr.getAttribute("data-verdict")) >= 0 &&
            (!s.q || tr.textContent.toLowerCase().indexOf(s.q) >= 0 || art.id.toLowerCase().indexOf(s.q) >= 0);
          tr.hidden = !ok;
          if (ok) { any = true; shown += Number(tr.getAttribute("data-n")); }
        });
        art.hidden = !any;
        anyCheck = anyCheck || any;
      });
      sec.hidden = !anyCheck;
    });
    document.getElementById("shown").textContent = "showing " + shown + " of " + document.body.getAttribute("data-total") + " results";
    if (s.open) {
      var row = document.getElementById(s.open);
      if (row) {
        row.hidden = false; row.closest("article").hidden = false; row.closest("section").hidden = false;
        $("details.ev", row).forEach(function (d) { d.open = true; fill(d); });
        row.scrollIntoView({ block: "nearest" });
      }
    }
  }

  $("button.verdict").forEach(function (b) {
    b.addEventListener("click", function () {
      var s = state(), v = b.getAttribute("data-verdict"), i = s.verdicts.indexOf(v);
      if (i >= 0) s.verdicts.splice(i, 1); else s.verdicts.push(v);
      write(s);
    });
  });
  $("button[data-preset]").forEach(function (b) {
    b.addEventListener("click", function () {
      var s = state();
      s.verdicts = b.getAttribute("data-preset") === "all" ? ALL.slice() : PROBLEMS.slice();
      write(s);
    });
  });
  document.getElementById("area").addEventListener("change", function (e) { var s = state(); s.area = e.target.value; write(s); });
  document.getElementById("q").addEventListener("change", function (e) { var s = state(); s.q = e.target.value.trim(); write(s); });
  // Exchanges are cloned from their inert <template> only when a result's evidence is opened.
  document.addEventListener("toggle", function (e) { if (e.target.open && e.target.matches("details.ev")) fill(e.target); }, true);
  window.addEventListener("hashchange", apply);
  apply();
})();
