/* diaban upload page: the period field is shown only for the kinds a whole-file period applies to. */
(function () {
  "use strict";
  var field = document.getElementById("period-field");
  var kind = document.getElementById("kind");
  if (!field || !kind) return;
  var kinds = (field.dataset.kinds || "").split(" ");
  function toggle() {
    var shown = kinds.indexOf(kind.value) >= 0;
    field.hidden = !shown;
    document.getElementById("period").disabled = !shown;
  }
  kind.addEventListener("change", toggle);
  toggle();
})();
