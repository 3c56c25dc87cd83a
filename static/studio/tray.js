// The header's script: jobs tray, toasts, "Run in background" (templates/studio/_tray.html) and
// the command box's close button. Without this file the tray is a plain <details>, toasts stay
// put, and "Run in background" is a link to the landing page.
const sent = new Set(); // jobs whose progress view went to the background
// A constructed style sheet, not a <style> element: the CSP refuses inline styles.
const rules = new CSSStyleSheet();
document.adoptedStyleSheets = [...document.adoptedStyleSheets, rules];

document.addEventListener("click", (event) => {
  const toast = event.target.closest(".toast-x")?.parentElement;
  if (toast) return toast.remove();
  const answer = event.target.closest(".cmd-x")?.closest(".cmd-out");
  if (answer) return answer.replaceChildren();
  const view = event.target.closest("[data-run-in-background]")?.closest("[data-progress]");
  if (!view) return;
  event.preventDefault();
  const id = view.dataset.progress;
  sent.add(id);
  // A CSS rule, not `hidden`: the copies the view's polling swaps in stay hidden too, until
  // the job is final (no more "Run in background" link) and its result shows in place.
  rules.insertRule(`[data-progress="${CSS.escape(id)}"]:has([data-run-in-background]){display:none}`);
  htmx.trigger(document.body, "jobs-changed");
  document.querySelector("#jobs-tray summary")?.focus();
});

// The tray's poll names the jobs finishing in front of the user: they get no toast.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id !== "jobs-pop") return;
  event.detail.parameters.shown = [...document.querySelectorAll("[data-progress]")]
    .map((view) => view.dataset.progress)
    .filter((id) => id && !sent.has(id));
});

// Toasts go after 8 s, but not while pointed at or focused.
function expire(toast) {
  setTimeout(function leave() {
    if (toast.matches(":hover, :focus-within")) setTimeout(leave, 2000);
    else toast.remove();
  }, 8000);
}
htmx.onLoad((root) => {
  if (root.matches(".toast")) expire(root);
  if (root !== document.body) return;
  // A live region announces changes, not what the page loaded with: add those toasts again.
  const region = document.getElementById("toasts");
  const first = [...region.children];
  first.forEach((toast) => toast.remove());
  setTimeout(() => {
    region.append(...first);
    first.forEach(expire);
  }, 300);
});
