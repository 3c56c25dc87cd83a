// The Edit tab's mask editor: paint the area to edit on a canvas laid over the picture.
//
// The canvas holds the mask at the image's own pixel size; CSS scales it with the picture, and
// pointer positions are scaled by natural/displayed size, so the mask sent is pixel-exact at
// any zoom. Every change is a step (stroke, clear, invert) that undo/redo replays from the start
// (older steps are baked into a base layer). On submit the mask becomes a black-and-white PNG
// data URL (alpha thresholded: no greys) in the form's hidden `mask` field.
// Also: the outpaint preview. No libraries; the page works without this file for outpaint.

// Words in the page's language: this script's data-words (studio/languages.py); none in English.
const maskEditorWords = JSON.parse(document.currentScript?.dataset.words ?? "{}");
(() => {
  "use strict";
  const gettext = (msgid) => maskEditorWords[msgid] ?? msgid;
  const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const COLOUR = "#ff2d78";
  const MAX_STEPS = 60;
  const root = document.getElementById("mask-editor");

  function maskEditor(root) {
    const stage = root.querySelector(".stage");
    const canvas = stage.querySelector("canvas");
    const cursor = stage.querySelector(".cursor");
    const status = root.querySelector("#mask-status");
    const slider = root.querySelector("#brush-size");
    const sizeOut = root.querySelector("#brush-size-out");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const W = canvas.width, H = canvas.height;
    // At most 70% of the window's height, keeping the picture's shape (set here: the CSP allows
    // no style attributes in the page).
    stage.style.width = `min(100%, calc(70vh * ${W} / ${H}))`;
    const base = document.createElement("canvas");
    base.width = W; base.height = H;
    const baseCtx = base.getContext("2d");
    const before = document.createElement("canvas"); // the mask when the current stroke began
    before.width = W; before.height = H;
    const beforeCtx = before.getContext("2d");
    const steps = [];
    let applied = 0, tool = "brush", stroke = null;

    const longSide = Math.max(W, H);
    slider.min = 1;
    slider.max = Math.max(8, Math.round(longSide / 4));
    slider.value = Math.max(4, Math.round(longSide / 25));
    const size = () => Number(slider.value);

    function say(text) { status.textContent = text; }

    function apply(c, step) {
      c.save();
      if (step.t === "clear") {
        c.clearRect(0, 0, W, H);
      } else if (step.t === "invert") {
        c.globalCompositeOperation = "xor"; // opaque over transparent, transparent over opaque
        c.fillStyle = COLOUR;
        c.fillRect(0, 0, W, H);
      } else {
        c.globalCompositeOperation = step.erase ? "destination-out" : "source-over";
        c.strokeStyle = c.fillStyle = COLOUR;
        c.lineWidth = step.size;
        c.lineCap = c.lineJoin = "round";
        const p = step.pts;
        if (p.length === 2) {
          c.beginPath();
          c.arc(p[0], p[1], step.size / 2, 0, Math.PI * 2);
          c.fill();
        } else {
          c.beginPath();
          c.moveTo(p[0], p[1]);
          for (let i = 2; i < p.length; i += 2) c.lineTo(p[i], p[i + 1]);
          c.stroke();
        }
      }
      c.restore();
    }

    function render() {
      ctx.clearRect(0, 0, W, H);
      ctx.drawImage(base, 0, 0);
      for (let i = 0; i < applied; i++) apply(ctx, steps[i]);
      buttons();
    }

    function coverage() {
      // On a small copy: cheap enough to run after every stroke, exact enough for a percentage.
      const k = Math.min(1, 200 / longSide);
      const w = Math.max(1, Math.round(W * k)), h = Math.max(1, Math.round(H * k));
      const small = document.createElement("canvas");
      small.width = w; small.height = h;
      const sc = small.getContext("2d");
      sc.drawImage(canvas, 0, 0, w, h);
      const d = sc.getImageData(0, 0, w, h).data;
      let on = 0, any = false;
      for (let i = 3; i < d.length; i += 4) { if (d[i] >= 128) on++; if (d[i]) any = true; }
      return { percent: Math.round((100 * on) / (w * h)), any };
    }

    function report(what) {
      const c = coverage();
      const share = `${c.percent || gettext("under 1")}%`;
      const area = c.any ? interpolate(gettext("Painted: %(share)s of the picture."), { share }) : gettext("Nothing painted yet.");
      say(what ? `${what}. ${area}` : area);
    }

    function buttons() {
      root.querySelector("[data-action=undo]").disabled = applied === 0;
      root.querySelector("[data-action=redo]").disabled = applied === steps.length;
    }

    // Add a step on top of the canvas as it is (which is the replay of the steps so far), so a
    // stroke costs one copy and one path, not a replay of the whole history.
    function push(step) {
      steps.length = applied; // a new step drops what could have been redone
      steps.push(step);
      if (steps.length > MAX_STEPS) apply(baseCtx, steps.shift());
      applied = steps.length;
      if (step.t === "stroke") {
        // Drawn segment by segment while the pointer moved; now the whole path, as a replay would.
        ctx.clearRect(0, 0, W, H);
        ctx.drawImage(before, 0, 0);
      }
      apply(ctx, step);
      buttons();
    }

    function history(delta) {
      const next = applied + delta;
      if (next < 0 || next > steps.length) return;
      applied = next;
      render();
      report(delta < 0 ? gettext("Undone") : gettext("Redone"));
    }

    function setTool(name) {
      tool = name;
      root.querySelectorAll("[data-tool]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tool === name)));
      say(name === "brush" ? gettext("Brush: paint the area to edit.") : gettext("Eraser: remove paint."));
    }

    function setSize(value) {
      slider.value = Math.min(Number(slider.max), Math.max(1, Math.round(value)));
      sizeOut.textContent = `${slider.value} px`;
    }

    function setView(name) {
      stage.dataset.view = name;
      root.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === name)));
    }

    // Pointer position in image pixels, whatever size the picture is shown at.
    function point(event) {
      const r = canvas.getBoundingClientRect();
      return [((event.clientX - r.left) * W) / r.width, ((event.clientY - r.top) * H) / r.height];
    }

    function moveCursor(event) {
      if (event.pointerType === "touch") { cursor.hidden = true; return; }
      const r = canvas.getBoundingClientRect();
      const d = (size() * r.width) / W;
      cursor.hidden = false;
      cursor.style.width = cursor.style.height = `${d}px`;
      cursor.style.transform = `translate(${event.clientX - r.left - d / 2}px, ${event.clientY - r.top - d / 2}px)`;
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || stroke) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      stroke = { t: "stroke", erase: tool === "eraser", size: size(), pts: point(event), id: event.pointerId };
      beforeCtx.clearRect(0, 0, W, H);
      beforeCtx.drawImage(canvas, 0, 0);
      apply(ctx, { ...stroke }); // the dot under the pointer, at once
    });
    canvas.addEventListener("pointermove", (event) => {
      moveCursor(event);
      if (!stroke || event.pointerId !== stroke.id) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const e of events.length ? events : [event]) {
        const [x, y] = point(e);
        const p = stroke.pts;
        apply(ctx, { ...stroke, pts: [p[p.length - 2], p[p.length - 1], x, y] });
        p.push(x, y);
      }
    });
    function end(event) {
      if (!stroke || event.pointerId !== stroke.id) return;
      const { id, ...step } = stroke;
      stroke = null;
      push(step);
      report();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", () => { cursor.hidden = true; });

    root.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.tool) setTool(button.dataset.tool);
      else if (button.dataset.view) setView(button.dataset.view);
      else if (button.dataset.action === "undo") history(-1);
      else if (button.dataset.action === "redo") history(1);
      else if (button.dataset.action === "clear") { push({ t: "clear" }); report(gettext("Cleared")); }
      else if (button.dataset.action === "invert") { push({ t: "invert" }); report(gettext("Inverted")); }
    });
    slider.addEventListener("input", () => setSize(slider.value));

    document.addEventListener("keydown", (event) => {
      const t = event.target;
      if (t.isContentEditable || /^(TEXTAREA|SELECT)$/.test(t.tagName) || (t.tagName === "INPUT" && !/^(range|radio|checkbox|button)$/.test(t.type))) return;
      if (root.offsetParent === null) return; // hidden: outpaint mode
      const key = event.key.toLowerCase();
      const mod = event.ctrlKey || event.metaKey;
      let done = true;
      if (mod && key === "z") history(event.shiftKey ? 1 : -1);
      else if (mod && key === "y") history(1);
      else if (mod || event.altKey) done = false;
      else if (key === "b") setTool("brush");
      else if (key === "e") setTool("eraser");
      else if (key === "[") setSize(size() - Math.max(1, size() * 0.15));
      else if (key === "]") setSize(size() + Math.max(1, size() * 0.15));
      else done = false;
      if (done) event.preventDefault();
    });

    // The mask as the server wants it: white where painted, black elsewhere, opaque, image-sized.
    function exportMask() {
      const src = ctx.getImageData(0, 0, W, H).data;
      const out = document.createElement("canvas");
      out.width = W; out.height = H;
      const oc = out.getContext("2d");
      const img = oc.createImageData(W, H);
      const d = img.data;
      let any = false;
      for (let i = 0; i < d.length; i += 4) {
        const v = src[i + 3] >= 128 ? 255 : 0;
        if (v) any = true;
        d[i] = d[i + 1] = d[i + 2] = v;
        d[i + 3] = 255;
      }
      if (!any) return "";
      oc.putImageData(img, 0, 0);
      return out.toDataURL("image/png");
    }

    // Capture phase: runs before htmx reads the form's values.
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (form.id !== root.dataset.form) return;
      const field = form.querySelector("[name=mask]");
      const mode = form.querySelector("[name=mode]:checked")?.value;
      if (!field || root.dataset.demo || mode === "outpaint") { if (field) field.value = ""; return; }
      field.value = exportMask();
      if (!field.value && (mode === "insert" || mode === "remove")) {
        event.preventDefault();
        event.stopImmediatePropagation();
        say(gettext("Paint the area to edit first: this mode needs a mask."));
        canvas.scrollIntoView({ block: "nearest" });
      }
    }, true);

    function loadMask(src) {
      const img = new Image();
      img.onload = () => {
        // White-on-black mask file -> coloured paint on a transparent layer (the base).
        const tmp = document.createElement("canvas");
        tmp.width = W; tmp.height = H;
        const tc = tmp.getContext("2d");
        tc.drawImage(img, 0, 0, W, H);
        const data = tc.getImageData(0, 0, W, H);
        const d = data.data;
        for (let i = 0; i < d.length; i += 4) {
          const on = d[i] > 127;
          d[i] = 255; d[i + 1] = 45; d[i + 2] = 120; d[i + 3] = on ? 255 : 0;
        }
        baseCtx.putImageData(data, 0, 0);
        render();
        report(gettext("Prepared mask loaded"));
      };
      img.src = src;
    }

    root.querySelector(".tools").hidden = false;
    root.querySelector(".shortcuts").hidden = false;
    setSize(slider.value);
    render();
    if (root.dataset.maskSrc) loadMask(root.dataset.maskSrc);
    root.dataset.ready = "true";
  }

  // Outpaint: show the bigger canvas with the picture placed in it, as the inputs change.
  function outpaintPreview() {
    const box = document.getElementById("outpaint-preview");
    const form = document.getElementById("edit-form");
    if (!box || !form) return;
    const w = Number(box.dataset.width), h = Number(box.dataset.height);
    const num = (name) => Math.max(0, Math.min(4096, parseInt(form.querySelector(`[name=${name}]`)?.value, 10) || 0));
    let l = 0, t = 0, r = 0, b = 0;
    if (form.querySelector("[name=outpaint_by]:checked")?.value === "ratio") {
      const ratio = form.querySelector("[name=outpaint_aspect_ratio]:checked")?.value || "1:1";
      const [a, c] = ratio.split(":").map(Number);
      if (w * c >= h * a) { const extra = Math.max(1, Math.round((w * c) / a) - h); t = Math.floor(extra / 2); b = extra - t; }
      else { const extra = Math.max(1, Math.round((h * a) / c) - w); l = Math.floor(extra / 2); r = extra - l; }
    } else {
      l = num("left"); t = num("top"); r = num("right"); b = num("bottom");
    }
    const nw = w + l + r, nh = h + t + b;
    const frame = box.querySelector(".op-frame");
    const img = frame.querySelector("img");
    frame.style.aspectRatio = `${nw}/${nh}`;
    frame.style.width = `min(100%, calc(60vh * ${nw} / ${nh}))`;
    img.style.left = `${(100 * l) / nw}%`;
    img.style.top = `${(100 * t) / nh}%`;
    img.style.width = `${(100 * w) / nw}%`;
    box.querySelector("#op-size").textContent = nw === w && nh === h
      ? interpolate(gettext("%(width)s × %(height)s px: choose how far to extend."), { width: w, height: h })
      : interpolate(gettext("New size: %(width)s × %(height)s px (adds %(left)s left, %(top)s top, %(right)s right, %(bottom)s bottom)."), { width: nw, height: nh, left: l, top: t, right: r, bottom: b });
  }

  if (root) maskEditor(root);
  outpaintPreview();
  document.addEventListener("input", (e) => { if (e.target.closest("#edit-form")) outpaintPreview(); });
  document.addEventListener("change", (e) => { if (e.target.closest("#edit-form")) outpaintPreview(); });
  document.addEventListener("htmx:afterSwap", () => {
    outpaintPreview();
    // A refusal or an error shows at the top of the form, which may be off screen on a phone.
    document.querySelector("#edit-form [role=alert]")?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
  // A new edit's progress card lands below the picture: bring it into view.
  document.addEventListener("htmx:oobAfterSwap", (e) => {
    if (e.detail.target.id === "edit-results") e.detail.target.firstElementChild?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  });
})();

// An edit's result on the canvas: "On the canvas" on a result tile, or the result of an edit that
// finishes while the page is open, shows over the picture with a Before / After toggle; "Back to
// the mask" returns to painting.
(function editCompare() {
  const gettext = (msgid) => maskEditorWords[msgid] ?? msgid;
  const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const compare = document.getElementById("compare");
  if (!compare) return;
  const layout = compare.closest(".edit");
  const stage = compare.querySelector(".compare-stage");
  function show(which) {
    stage.dataset.show = which;
    for (const button of compare.querySelectorAll("[data-compare=before], [data-compare=after]")) {
      button.setAttribute("aria-pressed", String(button.dataset.compare === which));
    }
  }
  function open(button) {
    compare.querySelector("img.after").src = button.dataset.compareSrc;
    const mode = button.dataset.compareWords;
    compare.querySelector("#compare-words").textContent = mode
      ? interpolate(gettext("%(mode)s: the result, on your image. Before shows the image as it was."), { mode })
      : gettext("the result, on your image. Before shows the image as it was.");
    compare.hidden = false;
    layout.classList.add("comparing");
    show("after");
    compare.scrollIntoView({ block: "nearest" });
    compare.querySelector("[data-compare=before]").focus();
  }
  document.addEventListener("click", (event) => {
    const tile = event.target.closest("[data-compare-src]");
    if (tile) return open(tile);
    const button = event.target.closest("#compare [data-compare]");
    if (!button) return;
    if (button.dataset.compare !== "close") return show(button.dataset.compare);
    compare.hidden = true;
    layout.classList.remove("comparing");
  });
  // A card that finishes in front of the user swaps in with its result: show that on the canvas.
  htmx.onLoad((root) => {
    if (root === document.body || !root.matches?.("article.job") || !root.closest("#edit-results")) return;
    const first = root.querySelector("[data-compare-src]");
    if (first) open(first);
  });
})();
