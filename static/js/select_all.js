// "Select all" ticks only the boxes the user may tick (not the disabled ones).
document.querySelectorAll("[data-select-all]").forEach(function (all) {
  all.addEventListener("change", function () {
    all.form.querySelectorAll("input[name=ids]:not(:disabled)").forEach(function (box) { box.checked = all.checked; });
  });
});
