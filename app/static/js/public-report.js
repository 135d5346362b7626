/* The tip-off form: at most 3 photos of at most 8 MB each, said before upload. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("input[type=file][data-max-files]");
    if (!input) return;
    var help = document.getElementById("photos-help");
    var original = help ? help.textContent : "";
    input.addEventListener("change", function () {
      var max = parseInt(input.getAttribute("data-max-files"), 10);
      var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10);
      var problem = "";
      if (input.files.length > max) {
        problem = "最多选择 " + max + " 张照片，请重新选择。";
      } else {
        for (var i = 0; i < input.files.length; i++) {
          if (input.files[i].size > maxBytes) {
            problem = "第 " + (i + 1) + " 张照片超过 8 MB，请压缩后再选择。";
          }
        }
      }
      input.setCustomValidity(problem);
      input.classList.toggle("is-invalid", !!problem);
      if (help) {
        help.textContent = problem || original;
        help.classList.toggle("text-danger", !!problem);
      }
    });
  });
})();
