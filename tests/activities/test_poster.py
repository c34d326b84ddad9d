"""Posters: not an image, too big a file, too many pixels are refused; a good one is resized; the admin uses it."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from activities.models import Activity
from activities.services.activities import (
    POSTER_MAX_SIDE,
    PosterError,
    activity_save,
    poster_process,
)
from portal.errors import NotPermitted
from portal.models import AuditEntry
from tests.activities.factories import ActivityFactory


def image_bytes(size, *, mode="RGB", fmt="JPEG", color=(180, 35, 42)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color if mode != "1" else 1).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(content: bytes, name="poster.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_good_poster_is_resized_to_1600_on_the_long_side():
    result = poster_process(upload(image_bytes((3200, 2000))))
    assert result.format == "JPEG"
    assert (result.width, result.height) == (POSTER_MAX_SIDE, 1000)
    with Image.open(io.BytesIO(result.content.read())) as stored:
        assert stored.format == "JPEG" and stored.size == (1600, 1000)
    assert result.content.name.startswith("poster-") and result.content.name.endswith(".jpg")


def test_a_small_poster_keeps_its_size_and_transparency_keeps_png():
    result = poster_process(upload(image_bytes((400, 600), mode="RGBA", fmt="PNG", color=(0, 0, 0, 0)), "a.png"))
    assert (result.format, result.width, result.height) == ("PNG", 400, 600)
    assert result.content.name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 this is a pdf, not an image", "not an image"),
        (b"", "empty"),
        (image_bytes((100, 100))[:200], "not an image"),  # a truncated JPEG
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not an image"),
    ],
)
@pytest.mark.usefixtures("english")
def test_what_is_not_an_image_is_refused(content, message):
    with pytest.raises(PosterError, match=message):
        poster_process(upload(content))


@pytest.mark.usefixtures("english")
def test_an_enormous_image_is_refused_before_it_is_decoded():
    # 7,000 x 6,000 = 42 megapixels, yet a one-bit PNG of it is only a few kilobytes.
    content = image_bytes((7000, 6000), mode="1", fmt="PNG")
    assert len(content) < 1024 * 1024
    with pytest.raises(PosterError, match="at most 40 megapixels"):
        poster_process(upload(content, "huge.png", "image/png"))


@pytest.mark.usefixtures("english")
def test_a_file_over_5_mb_is_refused():
    with pytest.raises(PosterError, match="at most 5 MB"):
        poster_process(upload(b"\xff\xd8" + b"0" * (5 * 1024 * 1024)))


@pytest.mark.django_db
def test_activity_save_is_staff_only_and_audited(cadre, staff_user):
    activity = ActivityFactory.build(status=Activity.Status.DRAFT)
    with pytest.raises(NotPermitted):
        activity_save(actor=cadre.user, activity=activity)
    activity_save(actor=staff_user, activity=activity, poster=upload(image_bytes((2000, 2000))))
    assert activity.pk and activity.created_by == staff_user
    assert activity.poster.width == POSTER_MAX_SIDE
    activity.status = Activity.Status.PUBLISHED
    activity_save(actor=staff_user, activity=activity)
    update = AuditEntry.objects.get(action="activity.update")
    assert update.changes == {"old": {"status": "draft"}, "new": {"status": "published"}}


def _admin_post(client, poster):
    start = timezone.localtime() + timedelta(days=3)
    data = {
        "title": "海报测试活动",
        "kind": "sport",
        "status": "draft",
        "description": "",
        "venue": "市体育中心",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "09:00:00",
        "ends_at_0": start.strftime("%Y-%m-%d"),
        "ends_at_1": "17:00:00",
        "points_by_place": "[7, 5, 4, 3, 2, 1]",
        "competitions-TOTAL_FORMS": "0",
        "competitions-INITIAL_FORMS": "0",
        "organisation_awards-TOTAL_FORMS": "0",
        "organisation_awards-INITIAL_FORMS": "0",
        "poster": poster,
    }
    return client.post(reverse("admin:activities_activity_add"), data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("poster", "message"),
    [
        (lambda: upload(b"not an image at all"), "image"),
        (lambda: upload(image_bytes((7000, 6000), mode="1", fmt="PNG"), "huge.png", "image/png"), "40"),
    ],
)
def test_the_admin_refuses_a_bad_poster_and_saves_nothing(client, staff_user, poster, message):
    client.cookies["django_language"] = "en"
    client.force_login(staff_user)
    response = _admin_post(client, poster())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "poster" in errors and message in str(errors["poster"])
    assert not Activity.objects.filter(title="海报测试活动").exists()


@pytest.mark.django_db
def test_the_admin_stores_a_resized_poster(client, staff_user):
    client.force_login(staff_user)
    response = _admin_post(client, upload(image_bytes((4000, 3000))))
    assert response.status_code == 302, response.context["adminform"].form.errors
    activity = Activity.objects.get(title="海报测试活动")
    assert (activity.poster.width, activity.poster.height) == (1600, 1200)
    assert activity.poster.name.startswith("posters/")
    assert AuditEntry.objects.filter(action="activity.create", object_id=str(activity.pk)).exists()
