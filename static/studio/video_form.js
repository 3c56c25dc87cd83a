// Video Studio's form, progressive enhancement only: when the first frame's shape differs from
// the video's (a landscape photo for a 9:16 video), show it in the video's shape, as Veo will fit
// it: inside the frame with bars ("pad", Veo's default), or filling it ("crop", when the form offers
// that choice). Delegated events: htmx swaps the whole form after a refused submit.

// Words in the page's language: this script's data-words (studio/languages.py); none in English.
const cropWords = JSON.parse(document.currentScript?.dataset.words ?? "{}");

function ratioOf(value) {
  const [w, h] = (value || "16:9").split(":").map(Number);
  return w / h;
}

function showCrop(form) {
  const preview = form.querySelector("#crop-preview");
  if (!preview) return;
  const pick = form.querySelector("[name=first_frame_id]:checked");
  const video = form.querySelector("[name=aspect_ratio]:checked")?.value || "16:9";
  const width = Number(pick?.dataset.w);
  const height = Number(pick?.dataset.h);
  const shape = width / height;
  if (!pick?.value || !width || !height || Math.abs(shape - ratioOf(video)) / ratioOf(video) < 0.03) {
    preview.hidden = true;
    return;
  }
  const crop = form.querySelector("[name=resize_mode]:checked")?.value === "crop";
  preview.dataset.ar = video;
  preview.dataset.fit = crop ? "crop" : "pad";
  preview.querySelector("img").src = pick.dataset.src;
  const wider = shape > ratioOf(video);
  const gettext = (msgid) => cropWords[msgid] ?? msgid;
  const interpolate = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const sizes = { width, height, video };
  const shapeWords = wider
    ? gettext("This image (%(width)s × %(height)s) is wider than a %(video)s video.")
    : gettext("This image (%(width)s × %(height)s) is taller than a %(video)s video.");
  let fitWords;
  if (crop) {
    fitWords = wider
      ? gettext("Veo fills the frame and cuts off the sides, as shown.")
      : gettext("Veo fills the frame and cuts off the top and bottom, as shown.");
  } else {
    fitWords = wider
      ? gettext("Veo fits it inside the frame with black bars above and below, as shown.")
      : gettext("Veo fits it inside the frame with black bars at the sides, as shown.");
  }
  preview.querySelector("figcaption").textContent = `${interpolate(shapeWords, sizes)} ${fitWords}`;
  preview.hidden = false;
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("#video-form");
  if (form && /^(first_frame_id|aspect_ratio|resize_mode)$/.test(event.target.name)) showCrop(form);
});
htmx.onLoad((root) => {
  const form = root.querySelector?.("#video-form") ?? (root.id === "video-form" ? root : null);
  if (form) showCrop(form);
});
