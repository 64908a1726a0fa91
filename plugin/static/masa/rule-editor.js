// The rule editor: the box about the customers already waiting is shown once a delay or a
// message is changed (and whenever the page comes back with the owner's changes).
(function () {
  function init() {
    var box = document.querySelector("[data-masa-retime]");
    if (!box || box.hasAttribute("data-masa-open")) return;
    var form = box.closest("form");
    if (!form) return;
    box.hidden = true;
    function reveal(event) {
      if (event.target.closest("[data-masa-timing], .masa-bound-value")) box.hidden = false;
    }
    form.addEventListener("input", reveal);
    form.addEventListener("change", reveal);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
