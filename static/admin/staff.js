// Every admin page (templates/admin/base_site.html). Progressive: each page works without it.
//
// Select2, the admin's autocomplete ("Assigned to", "Programme", "Opportunity"), draws its own
// combobox and names it only by the value chosen, so an empty one has no name for a screen
// reader (axe aria-input-field-name, WCAG 4.1.2). Name each, and the box showing the choice,
// by the field's label as well.
// Django draws the comboboxes from a jQuery ready-handler, which jQuery runs later than
// DOMContentLoaded and sometimes later than "load"; so this watches for them being added
// (an inline's new row adds more), rather than guessing when they will be there.
(function () {
  "use strict";

  function nameComboboxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      var box = container && container.querySelector('.select2-selection[role="combobox"]');
      if (!label || !box || box.hasAttribute("data-named")) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "-label";
      }
      var chosen = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", label.id + (chosen && chosen.id ? " " + chosen.id : ""));
      if (chosen && chosen.tagName !== "UL") {
        // One choice: the box showing it is a textbox, named by the label too.
        chosen.setAttribute("aria-labelledby", label.id);
      }
      box.setAttribute("data-named", "");
    });
    // Many choices: the box to type in, which Select2 draws again after each choice.
    document.querySelectorAll(".select2-search__field:not([aria-labelledby])").forEach(function (field) {
      var container = field.closest(".select2-container");
      var select = container && container.previousElementSibling;
      var label = select && select.id && document.getElementById(select.id + "-label");
      if (label) {
        field.setAttribute("aria-labelledby", label.id);
      }
    });
  }

  nameComboboxes();
  new MutationObserver(nameComboboxes).observe(document.body, { childList: true, subtree: true });
})();
