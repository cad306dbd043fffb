// The unit tree, level by level: a unit's children are fetched the first time it is opened.
document.addEventListener("toggle", function (event) {
  var details = event.target;
  if (!details.open || !details.hasAttribute || !details.hasAttribute("data-children-url") || details.dataset.loaded) return;
  details.dataset.loaded = "1";
  var list = details.querySelector("ul");
  fetch(details.getAttribute("data-children-url"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.text() : ""; })
    .then(function (html) { list.innerHTML = html; list.removeAttribute("aria-busy"); });
}, true);

// Collapse every branch at once.
document.querySelectorAll("[data-tree]").forEach(function (button) {
  button.addEventListener("click", function () {
    document.querySelectorAll("#unit-tree details").forEach(function (d) { d.open = false; });
  });
});
