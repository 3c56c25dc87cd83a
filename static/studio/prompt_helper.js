// The prompt helper's preview (templates/studio/_prompt_helper.html): "Use this prompt" copies the
// edited suggestion into the form's prompt, "Discard" drops it. Nothing replaces the prompt otherwise.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".helper-accept, .helper-discard");
    if (!button) return;
    var preview = button.closest(".helper-preview");
    var form = button.closest("form");
    if (!preview || !form) return;
    if (button.classList.contains("helper-accept")) {
      var prompt = form.querySelector("textarea[name=prompt]");
      var suggestion = preview.querySelector("textarea");
      if (prompt && suggestion) {
        prompt.value = suggestion.value;
        // The character count and the live estimate follow the prompt's own events.
        prompt.dispatchEvent(new Event("input", { bubbles: true }));
        prompt.dispatchEvent(new Event("change", { bubbles: true }));
        prompt.focus();
      }
    }
    preview.remove();
  });
})();
