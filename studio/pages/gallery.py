"""The gallery of the user's images and videos, and the image viewer.

The gallery pages by keyset (?before=<the last asset's id>), newest first: an image made while
the user scrolls does not shift the pages under them, and each page is one indexed range query.
htmx loads the next page in place when its link scrolls into view; without JavaScript the same
link opens the next page.
"""

from __future__ import annotations

import uuid
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from billing import services as billing
from billing.models import UpscaleModel
from studio import operations
from studio.models import MediaAsset, MediaJob
from studio.pages import common, create
from studio.pages.common import PageRequest
from studio.schemas import STYLE_PRESETS
from studio.serving import media_url

GALLERY_PAGE = "studio/image_gallery.html"
VIEWER_PAGE = "studio/image_viewer.html"
PAGE_SIZE = 24
STRIP_EACH_SIDE = 6


# --- Gallery -------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _prompt(asset: MediaAsset) -> str:
    job = asset.source_job
    return str((job.params or {}).get("prompt") or "") if job else ""


def _alt(asset: MediaAsset) -> str:
    """Words for a thumbnail: the prompt, or what the asset is."""
    prompt = _prompt(asset)
    if prompt:
        return prompt[:100]
    job = asset.source_job
    if asset.origin == MediaAsset.Origin.UPLOADED:
        return _("Uploaded image")
    if job is not None:
        return operations.for_job(job).alt_text(job.params or {})
    return _("Image")


def _thumb_size(asset: MediaAsset, side: int = 384) -> tuple[int | None, int | None]:
    """The thumbnail's pixel size (the longer side at most `side`), for width/height attributes."""
    if not asset.width or not asset.height:
        return None, None
    scale = min(1, side / max(asset.width, asset.height))
    return max(1, round(asset.width * scale)), max(1, round(asset.height * scale))


def _tile(asset: MediaAsset) -> dict:
    width, height = _thumb_size(asset)
    if asset.kind == MediaAsset.Kind.VIDEO:
        href = (
            reverse("video-job", kwargs={"job_id": asset.source_job_id})
            if asset.source_job_id
            else media_url(asset)
        )
    else:
        href = reverse("image-viewer", kwargs={"asset_id": asset.id})
    alt = _alt(asset)
    duration = _duration(asset.duration_seconds)
    if asset.kind == MediaAsset.Kind.VIDEO:
        head = _("Video, %(duration)s") % {"duration": duration} if duration else _("Video")
        alt = f"{head}: {_prompt(asset)[:100]}" if _prompt(asset) else head
    return {
        "asset": asset,
        "href": href,
        "thumb": media_url(asset, "thumbnail") or (media_url(asset) if asset.kind == "image" else None),
        "alt": alt,
        "width": width,
        "height": height,
        "duration": duration,
    }


def _page(user, before: MediaAsset | None) -> tuple[list[MediaAsset], MediaAsset | None]:
    """One page of the user's assets, newest first, after `before`; and the cursor of the next."""
    assets = MediaAsset.objects.for_user(user).select_related("source_job").order_by("-created_at", "-id")
    if before is not None:
        assets = assets.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)
        )
    rows = list(assets[: PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], (rows[PAGE_SIZE - 1] if len(rows) > PAGE_SIZE else None)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def image_gallery(request: PageRequest) -> HttpResponse:
    """The user's images and videos, newest first, a page at a time (?before=<asset id>)."""
    before = None
    if request.GET.get("before"):
        before = _own_asset(request.user, request.GET["before"])
    assets, cursor = _page(request.user, before)
    context = {
        "tiles": [_tile(a) for a in assets],
        "next_url": f"{reverse('image-gallery')}?{urlencode({'before': cursor.id})}" if cursor else "",
        "older": before is not None,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{GALLERY_PAGE}#page", context)
    return render(request, GALLERY_PAGE, context)


def _own_asset(user, value) -> MediaAsset:
    """The user's asset with this id; anyone else's, or a malformed id, is 404 (no hint that it exists)."""
    try:
        asset_id = uuid.UUID(str(value))
    except ValueError:
        raise Http404(_("No such image.")) from None
    asset = (
        MediaAsset.objects.for_user(user).select_related("source_job", "parent").filter(pk=asset_id).first()
    )
    if asset is None:
        raise Http404(_("No such image."))
    return asset


# --- Viewer --------------------------------------------------------------------------------


def _strip(user, asset: MediaAsset) -> tuple[list[dict], MediaAsset | None, MediaAsset | None]:
    """Thumbnails of the user's images around this one (newer ones first), and its neighbours."""
    images = MediaAsset.objects.for_user(user).images().select_related("source_job")
    newer = list(
        images.filter(
            Q(created_at__gt=asset.created_at) | Q(created_at=asset.created_at, id__gt=asset.id)
        ).order_by("created_at", "id")[:STRIP_EACH_SIDE]
    )
    older = list(
        images.filter(
            Q(created_at__lt=asset.created_at) | Q(created_at=asset.created_at, id__lt=asset.id)
        ).order_by("-created_at", "-id")[:STRIP_EACH_SIDE]
    )
    around = [*reversed(newer), asset, *older]
    tiles = [{**_tile(a), "current": a.pk == asset.pk} for a in around]
    return tiles, (newer[0] if newer else None), (older[0] if older else None)


def _settings(job: MediaJob | None, asset: MediaAsset) -> list[tuple[str, str]]:
    """The parameters that made this image, as (label, value) rows."""
    if job is None:
        return [(_("Source"), _("Uploaded") if asset.origin == MediaAsset.Origin.UPLOADED else _("Unknown"))]
    params = job.params or {}
    rows: list[tuple[str, str]] = [(_("Made with"), job.get_operation_display())]
    rows += operations.for_job(job).settings_rows(params, [asset.mime_type])  # an upscale's factor, …
    if params.get("style"):
        rows.append((_("Style"), str(STYLE_PRESETS.get(params["style"], (params["style"],))[0])))
    if params.get("aspect_ratio"):
        rows.append((_("Aspect ratio"), params["aspect_ratio"]))
    if params.get("count"):
        rows.append((_("Images asked for"), str(params["count"])))
    if params.get("negative_prompt"):
        rows.append((_("Negative prompt"), params["negative_prompt"]))
    if params.get("seed") is not None and job.seed_applied:  # never a seed the model ignored
        rows.append((_("Seed"), str(params["seed"])))
    rows.append((_("Model"), job.model))
    return rows


def _cost(job: MediaJob | None) -> dict | None:
    """What the job cost, and per image when it made several (only when it divides exactly)."""
    if job is None or job.cost_zar_cents is None:
        return None
    images = job.assets.filter(kind=MediaAsset.Kind.IMAGE).count()
    cost: dict[str, Any] = {
        "zar_cents": job.cost_zar_cents,
        "usd_micros": job.cost_usd_micros or 0,
        "images": images,
        "each_zar_cents": None,
        "each_usd_micros": None,
    }
    if images > 1 and not cost["zar_cents"] % images and not cost["usd_micros"] % images:
        cost["each_zar_cents"] = cost["zar_cents"] // images
        cost["each_usd_micros"] = cost["usd_micros"] // images
    return cost


def _reuse_url(job: MediaJob | None) -> str:
    if job is None or job.operation != create.FORM.operation:  # Create reuses its own settings
        return ""
    return common.again_url(job)


@require_GET
@login_required
def image_viewer(request: PageRequest, asset_id) -> HttpResponse:
    """One image at full size, the images around it, what made it, and what to do with it next."""
    asset = _own_asset(request.user, asset_id)
    if asset.kind == MediaAsset.Kind.VIDEO:
        if asset.source_job_id:
            return redirect("video-job", job_id=asset.source_job_id)
        return redirect(cast(str, media_url(asset)))  # a video always has its file
    job = asset.source_job
    plan = billing.plan_for(request.user)
    strip, newer, older = _strip(request.user, asset)
    higher = billing.upgrade_plans(plan)
    context = {
        "asset": asset,
        "job": job,
        "plan": plan,
        "prompt": _prompt(asset),
        "alt": _alt(asset),
        "url": media_url(asset),
        "download": media_url(asset, download=True),
        "strip": strip,
        "newer": newer,
        "older": older,
        "settings": _settings(job, asset),
        "cost": _cost(job),
        "reuse_url": _reuse_url(job),
        "can_upscale": bool(plan.upscale_models),
        "upscale_models": [UpscaleModel(m).label for m in plan.upscale_models if m in UpscaleModel.values],
        "can_animate": not plan.video_samples_only,
        "upgrade": [p for p in higher if p.upscale_models and not p.video_samples_only],
    }
    return render(request, VIEWER_PAGE, context)


urlpatterns = [
    path("studio/images/", image_gallery, name="image-gallery"),
    path("studio/images/<uuid:asset_id>/", image_viewer, name="image-viewer"),
]
