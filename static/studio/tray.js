// The app shell's script (templates/base.html): jobs tray, toasts, "Run in background"
// (templates/studio/_tray.html), the header's pop-overs (the tray, the account menu and the command
// box's answer) closing on Escape and on a click outside, and a refusal after a submit brought into
// view and focused. Without this file the tray and the menu are plain <details>, toasts stay put,
// "Run in background" is a link to the landing page, and the browser shows a refused form at its top.
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

// The header's pop-overs: the open <details> (jobs tray, account menu) and the header command box's
// answer. Escape closes them and gives focus back to what opened them; a click elsewhere closes them.
function headerAnswer() {
  return document.querySelector(".site-header .cmd-out:not(:empty)");
}
function closePopovers(except, refocus) {
  for (const pop of document.querySelectorAll(".site-header details[open]")) {
    if (pop.contains(except)) continue;
    pop.open = false;
    if (refocus) pop.querySelector("summary").focus();
  }
  const answer = headerAnswer();
  if (answer && !answer.closest(".cmd").contains(except)) {
    answer.replaceChildren();
    if (refocus) answer.closest(".cmd").querySelector("input[name=command]")?.focus();
  }
}
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closePopovers(null, true);
});
document.addEventListener("click", (event) => closePopovers(event.target, false), true);
// Opening one <details> of the header closes the other.
document.addEventListener("toggle", (event) => {
  if (event.target.open && event.target.closest(".site-header")) closePopovers(event.target, false);
}, true);

// A refusal or an error after a submit: bring it into view and focus it, so that on a phone it is
// not left above the screen. The form's refusal (role=alert) first, else its first invalid field.
function showProblem(root) {
  const form = root.matches?.("form") ? root : root.querySelector?.("form") ?? root.closest?.("form");
  if (!form) return;
  const alert = form.querySelector("[role=alert], .errorlist");
  const target = alert ?? form.querySelector("[aria-invalid=true]");
  if (!target) return;
  if (target === alert && !alert.hasAttribute("tabindex")) alert.setAttribute("tabindex", "-1");
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: target === alert ? "start" : "center" });
}
document.addEventListener("htmx:afterSettle", (event) => {
  const config = event.detail.requestConfig;
  if (config && config.verb === "post" && !config.elt.closest(".site-header")) showProblem(event.detail.elt);
});
// A form sent without htmx comes back as a whole page: its first refused form, if any.
const refused = document.querySelector("main form [role=alert], main form .errorlist, main form [aria-invalid=true]");
if (refused) showProblem(refused.closest("form"));
