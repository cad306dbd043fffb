// The unit picker (campaign/widgets.py): ask the server for the units matching what is
// typed, and pick one (or several) of them. No framework: fetch and a few listeners.
(function () {
  "use strict";

  function search(picker, text) {
    var results = picker.querySelector("[data-unit-results]");
    var field = picker.querySelector("input[type=search]");
    if (!text.trim()) {
      results.innerHTML = "";
      field.setAttribute("aria-expanded", "false");
      return;
    }
    var url = picker.getAttribute("data-search-url") + "&q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (field.value === text) {
          results.innerHTML = html;
          field.setAttribute("aria-expanded", html.trim() ? "true" : "false");
        }
      });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-unit-picker] input[type=search]")) return;
    var picker = field.closest("[data-unit-picker]");
    var value = picker.querySelector("[data-unit-value]");
    if (value) value.value = "";  // typing again forgets the unit picked before
    clearTimeout(picker.unitTimer);
    picker.unitTimer = setTimeout(function () { search(picker, field.value); }, 250);
  });

  document.addEventListener("click", function (event) {
    var remove = event.target.closest && event.target.closest("[data-unit-remove]");
    if (remove) {
      remove.closest(".chip").remove();
      return;
    }
    var option = event.target.closest && event.target.closest("[data-unit-id]");
    if (!option) return;
    var picker = option.closest("[data-unit-picker]");
    var field = picker.querySelector("input[type=search]");
    var id = option.getAttribute("data-unit-id");
    var label = option.getAttribute("data-unit-label");
    if (picker.hasAttribute("data-multiple")) {
      var chips = picker.querySelector("[data-unit-chips]");
      if (!chips.querySelector("input[value='" + id + "']")) {
        var chip = document.createElement("span");
        chip.className = "chip";
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = picker.getAttribute("data-name");
        hidden.value = id;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.setAttribute("data-unit-remove", "");
        button.setAttribute("aria-label", "×");
        button.textContent = "×";
        chip.appendChild(hidden);
        chip.appendChild(document.createTextNode(label + " "));
        chip.appendChild(button);
        chips.appendChild(chip);
      }
      field.value = "";
    } else {
      picker.querySelector("[data-unit-value]").value = id;
      field.value = label;
    }
    picker.querySelector("[data-unit-results]").innerHTML = "";
    field.setAttribute("aria-expanded", "false");
    field.focus();
  });
})();
