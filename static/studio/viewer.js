// Image viewer, progressive enhancement only: without it the prompt is plain selectable text and
// Newer/Older are ordinary links. Adds "Copy prompt" (with a visible status) and ←/→ for them.
const copy = document.getElementById("copy-prompt");
if (copy) {
  // Words in the page's language: this script's data-words (studio/languages.py); none in English.
  const words = JSON.parse(document.currentScript?.dataset.words ?? "{}");
  const gettext = (msgid) => words[msgid] ?? msgid;
  const status = document.getElementById("copy-status");
  const prompt = document.getElementById("prompt-text");
  let timer;
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(prompt.textContent.trim());
      status.textContent = gettext("Copied");
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it for Ctrl+C.
      getSelection().selectAllChildren(prompt);
      status.textContent = gettext("Selected: press Ctrl+C to copy");
    }
    clearTimeout(timer);
    timer = setTimeout(() => { status.textContent = ""; }, 5000);
  });
}
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  const rel = { ArrowLeft: "prev", ArrowRight: "next" }[event.key];
  const link = rel && document.querySelector(`.stage-nav a[rel=${rel}]`);
  if (link) link.click();
});
