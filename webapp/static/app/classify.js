/* The classify page: while the form is posted (synchronously, well under 5 s on a province's data),
   the button is disabled and a spinner says "Đang phân loại…". Without JavaScript the form posts as is. */
(function () {
  "use strict";
  var form = document.getElementById("classify-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    document.getElementById("classify-submit").disabled = true;
    document.getElementById("classify-progress").hidden = false;
  });
})();
