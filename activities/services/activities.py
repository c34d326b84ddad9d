"""Writes on activities themselves: create and update (staff only), and the poster upload's checks and resizing."""

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from portal.audit import audit_record
from portal.errors import NotPermitted, PortalError
from portal.locking import lock_one, lock_rows
from portal.permissions import is_committee_staff

from ..models import Activity, Match
from .placings import competition_compute_placings

POSTER_MAX_BYTES = 5 * 1024 * 1024
POSTER_MAX_PIXELS = 40_000_000
POSTER_MAX_SIDE = 1600
# Only the decoders a poster needs: Pillow can open many more formats (EPS through Ghostscript, for one),
# and each decoder is attack surface for an uploaded file.
POSTER_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
JPEG_QUALITY = 85

# Fields whose old and new values go into the audit trail when staff change an activity.
AUDITED_FIELDS = (
    "title",
    "kind",
    "status",
    "venue",
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "organiser",
    "organiser_unit_id",
    "open_to_individuals",
    "capacity",
    "has_medal_table",
    "points_by_place",
    "max_events_per_athlete",
    "poster",
)


class PosterError(PortalError):
    """The uploaded poster is not an image we accept."""


@dataclass(frozen=True)
class ProcessedPoster:
    content: ContentFile
    width: int
    height: int
    format: str


def poster_process(upload) -> ProcessedPoster:
    """Check an uploaded poster and return it re-encoded, at most POSTER_MAX_SIDE pixels on its long side.

    The file must be at most 5 MB, be an image Pillow can open and verify in one of POSTER_FORMATS, and have at
    most 40 megapixels (checked from the header, before anything is decoded). The result is a JPEG, or a PNG when
    the image has transparency, under a random name; the camera's orientation is applied. No side effects.
    Raises PosterError with a message fit for the user.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > POSTER_MAX_BYTES:
        raise PosterError(
            _("The poster file is %(size).1f MB; at most %(max)d MB is accepted.")
            % {"size": size / (1024 * 1024), "max": POSTER_MAX_BYTES // (1024 * 1024)}
        )
    if size == 0:
        raise PosterError(_("The poster file is empty."))
    try:
        upload.seek(0)
        with Image.open(upload, formats=POSTER_FORMATS) as probe:
            width, height = probe.size
            _check_pixels(width, height)
            probe.verify()
        # verify() leaves the image unusable, so decode it again from the start.
        upload.seek(0)
        with Image.open(upload, formats=POSTER_FORMATS) as image:
            image.load()
            return _resize_and_encode(image)
    except Image.DecompressionBombError as error:
        raise PosterError(_("The poster has too many pixels; at most 40 megapixels are accepted.")) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise PosterError(_("The poster is not an image we can read (JPEG, PNG, GIF, WebP or BMP).")) from error


def _check_pixels(width: int, height: int) -> None:
    if width * height > POSTER_MAX_PIXELS:
        raise PosterError(
            _("The poster is %(width)d × %(height)d pixels; at most %(max)d megapixels are accepted.")
            % {"width": width, "height": height, "max": POSTER_MAX_PIXELS // 1_000_000}
        )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def _to_srgb(image: Image.Image, mode: str) -> Image.Image:
    """`image` in `mode` with its colours moved from its embedded ICC profile (if any) into sRGB.

    The profile itself is not kept (it is metadata of the uploader's file), so the colours are converted first:
    a photo in Adobe RGB or a CMYK JPEG would otherwise look wrong once the profile is gone.
    """
    profile = image.info.get("icc_profile")
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unusable profile: keep the pixels as they are
    return image.convert(mode)


def _resize_and_encode(image: Image.Image) -> ProcessedPoster:
    image = ImageOps.exif_transpose(image)
    transparent = _has_alpha(image)
    image = _to_srgb(image, "RGBA" if transparent else "RGB")
    image.thumbnail((POSTER_MAX_SIDE, POSTER_MAX_SIDE), Image.Resampling.LANCZOS)
    # Pillow writes back what `info` still holds (a JPEG comment, an ICC profile, PNG text): only pixels are kept.
    image.info = {}
    buffer = io.BytesIO()
    if transparent:
        image.save(buffer, format="PNG", optimize=True)
        fmt, ext = "PNG", "png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        fmt, ext = "JPEG", "jpg"
    name = f"poster-{uuid.uuid4().hex[:12]}.{ext}"
    return ProcessedPoster(ContentFile(buffer.getvalue(), name=name), image.width, image.height, fmt)


def _snapshot(activity: Activity) -> dict:
    values = {}
    for field in AUDITED_FIELDS:
        value = getattr(activity, field)
        if field == "poster":
            value = value.name if value else ""
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        values[field] = value
    return values


@transaction.atomic
def activity_save(*, actor, activity: Activity, poster=None) -> Activity:
    """Create or update an activity (committee staff only), with an optional new poster upload.

    `poster` is an uploaded file (checked and resized by poster_process) or an already processed ContentFile
    such as the admin form produces; None keeps the poster as it is. Validates the activity (full_clean),
    records the creator, and writes an audit entry with the old and new values of what changed.
    Raises NotPermitted for anyone but staff, PosterError for a bad poster, ValidationError for bad fields.
    """
    if not is_committee_staff(actor):
        raise NotPermitted(_("Only committee staff can create or change activities."))
    creating = activity.pk is None
    old = {} if creating else _snapshot(lock_one(Activity, activity.pk))
    if poster is not None:
        if not isinstance(poster, ContentFile):
            poster = poster_process(poster).content
        activity.poster = poster
    if creating and activity.created_by_id is None and actor is not None and actor.is_authenticated:
        activity.created_by = actor
    activity.full_clean()
    activity.save()
    new = _snapshot(activity)
    changed = {key for key in new if old.get(key) != new[key]}
    audit_record(
        actor=actor,
        action="activity.create" if creating else "activity.update",
        obj=activity,
        changes={"old": {k: old.get(k) for k in sorted(changed)}, "new": {k: new[k] for k in sorted(changed)}},
    )
    if not creating:
        # Whatever path changed them, what follows from these changes follows here too.
        if "points_by_place" in changed:
            _recompute_placings(actor=actor, activity=activity)
        if "status" in changed and activity.status == Activity.Status.CANCELLED:
            _cancel_open_matches(activity)
    return activity


def _require_staff(actor, message: str) -> None:
    if not is_committee_staff(actor):
        raise NotPermitted(message)


@transaction.atomic
def activity_update_points(*, actor, activity: Activity, points_by_place) -> Activity:
    """Change a meet's team points by place (e.g. [7, 5, 4, 3, 2, 1]) and recompute what is summed from them.

    Committee staff only. Locks the activity, then (through competition_compute_placings) each competition in turn,
    the order the registration services lock in. Every competition's placings are recomputed with the new scale,
    so the medal table, unit points and reports never mix two scales. Audited with the old and new scale; the
    same scale again writes nothing. Raises NotPermitted, or ValidationError for a scale that is not a list of
    non-negative numbers.
    """
    _require_staff(actor, _("Only committee staff can change the team points."))
    activity = lock_one(Activity, activity.pk)
    old = activity.points_by_place
    if old == points_by_place:
        return activity
    activity.points_by_place = points_by_place
    activity.full_clean()
    activity.save(update_fields=["points_by_place", "updated_at"])
    audit_record(
        actor=actor,
        action="activity.points_by_place",
        obj=activity,
        changes={"old": {"points_by_place": old}, "new": {"points_by_place": points_by_place}},
    )
    _recompute_placings(actor=actor, activity=activity)
    return activity


@transaction.atomic
def activity_cancel(*, actor, activity: Activity) -> Activity:
    """Call an activity off: it stays, as history, with the status "cancelled", instead of being deleted.

    Committee staff only; a finished activity cannot be cancelled, a cancelled one is left as it is. Its matches
    still to be played are cancelled too (calendar subscribers see them cancelled); results, placings, teams and
    sign-ups stay as they were. Audited with the old status and the matches cancelled. Raises NotPermitted or
    PortalError.
    """
    _require_staff(actor, _("Only committee staff can cancel an activity."))
    activity = lock_one(Activity, activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        return activity
    if activity.status == Activity.Status.FINISHED:
        raise PortalError(
            _("%(activity)s is finished; a finished activity cannot be cancelled.") % {"activity": activity.title}
        )
    old_status = activity.status
    activity.status = Activity.Status.CANCELLED
    activity.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="activity.cancel",
        obj=activity,
        changes={
            "old": {"status": old_status},
            "new": {"status": activity.status, "matches_cancelled": _cancel_open_matches(activity)},
        },
    )
    return activity


def _cancel_open_matches(activity: Activity) -> list[int]:
    """Cancel the activity's matches still to be played; returns their ids. The caller holds the activity lock."""
    matches = lock_rows(Match.objects.filter(competition__activity=activity, status=Match.Status.SCHEDULED))
    ids = [m.pk for m in matches]
    Match.objects.filter(pk__in=ids).update(status=Match.Status.CANCELLED, updated_at=timezone.now())
    return ids


def _recompute_placings(*, actor, activity: Activity) -> None:
    for competition in activity.competitions.order_by("pk"):
        competition_compute_placings(competition=competition, actor=actor)
