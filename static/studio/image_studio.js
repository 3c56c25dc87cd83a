// Image Studio, progressive enhancement only: the page works without it.
// Live character count for the prompt; Ctrl/Cmd+Enter sends the form; a new result scrolls into view.
// The count is grouped as the page's language writes numbers (the server's format_count: CLDR,
// which the browser's Intl has too); data-max holds plain digits.
const counts = new Intl.NumberFormat(document.documentElement.lang || undefined);
document.addEventListener("input", (event) => {
  const out = document.getElementById("prompt-count");
  if (event.target.id === "id_prompt" && out) out.textContent = `${counts.format(event.target.value.length)} / ${counts.format(Number(out.dataset.max))}`;
});
document.addEventListener("keydown", (event) => {
  if (event.target.id === "id_prompt" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    event.target.form.requestSubmit();
  }
});
document.addEventListener("htmx:oobAfterSwap", (event) => {
  const target = event.detail.target;
  if (target.id === "results" || target.id === "compose-results") target.firstElementChild?.scrollIntoView({ block: "nearest", behavior: "smooth" });
});
