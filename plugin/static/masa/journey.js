// A pack's journey page: open the folded rule the address names (#rule-…), on arrival and when a
// link on the page names another rule.
(function () {
  function openNamed() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var named = id && document.getElementById(id);
    if (named && named.tagName === "DETAILS") {
      named.open = true;
      named.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openNamed);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openNamed);
  } else {
    openNamed();
  }
})();
