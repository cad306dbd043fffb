// Expand or collapse every branch of the unit tree at once.
document.querySelectorAll("[data-tree]").forEach(function (button) {
  button.addEventListener("click", function () {
    var open = button.getAttribute("data-tree") === "open";
    document.querySelectorAll("#unit-tree details").forEach(function (d) { d.open = open; });
  });
});
