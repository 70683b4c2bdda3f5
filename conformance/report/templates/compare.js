"use strict";
(function () {
  var box = document.getElementById("diff-only");
  function apply() {
    Array.prototype.forEach.call(document.querySelectorAll("tr.check"), function (tr) {
      tr.hidden = box.checked && tr.getAttribute("data-same") === "1";
    });
  }
  box.addEventListener("change", apply);
  apply();
})();
