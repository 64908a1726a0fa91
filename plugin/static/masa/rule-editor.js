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

// A send's "channels to choose among" is shown only while it is sent on the channel the customer
// answers best; the server keeps the list only then (and fills it in when left empty).
(function () {
  function init() {
    document.querySelectorAll("select[data-masa-channel]").forEach(function (select) {
      var list = document.querySelector('[name="' + select.name + 's"][data-masa-channels]');
      if (!list) return;
      var wrapper = list.closest(".w-field__wrapper") || list.parentElement;
      function show() { wrapper.hidden = select.value !== "preferred"; }
      select.addEventListener("change", show);
      show();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
