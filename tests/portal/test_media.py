"""Uploads and media: posters are served and shown, stripped of metadata; anonymous bodies are capped."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from activities.services.activities import activity_save, poster_process
from tests.activities.factories import ActivityFactory

ROOT = Path(__file__).resolve().parents[2]


def _jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "secret-exif"  # ImageDescription
    exif[0x0112] = 1  # Orientation
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (180, 35, 42)).save(
        buffer, format="JPEG", comment=b"secret", exif=exif.tobytes(), icc_profile=srgb
    )
    return buffer.getvalue()


def _segments(jpeg: bytes) -> set[int]:
    """The JPEG marker bytes of the segments before the image data (0xFE is a comment, 0xE1 EXIF, 0xE2 ICC)."""
    markers, index = set(), 2
    while index + 4 <= len(jpeg) and jpeg[index] == 0xFF:
        marker = jpeg[index + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        markers.add(marker)
        index += 2 + int.from_bytes(jpeg[index + 2 : index + 4], "big")
    return markers


def test_a_jpeg_comment_is_not_kept():
    original = _jpeg_with_metadata()
    assert b"secret" in original and 0xFE in _segments(original)
    stored = poster_process(SimpleUploadedFile("p.jpg", original, content_type="image/jpeg")).content.read()
    assert b"secret" not in stored
    assert not _segments(stored) & {0xFE, 0xE1, 0xE2}  # no comment, EXIF or ICC segment
    with Image.open(io.BytesIO(stored)) as image:
        assert image.getpixel((10, 10)) == pytest.approx((180, 35, 42), abs=3)


def test_png_text_chunks_and_profiles_are_not_kept():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(buffer, format="PNG", pnginfo=info, icc_profile=srgb)
    stored = poster_process(SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")).content.read()
    assert b"secret-text" not in stored and b"iCCP" not in stored and b"tEXt" not in stored


@pytest.mark.django_db
def test_a_poster_is_served_and_shown_on_the_public_pages(client, staff_user):
    activity = ActivityFactory()
    activity_save(
        actor=staff_user,
        activity=activity,
        poster=SimpleUploadedFile("p.jpg", _jpeg_with_metadata(), content_type="image/jpeg"),
    )
    activity.refresh_from_db()
    url = activity.poster.url
    assert url.startswith("/media/posters/")
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")
    for page in (reverse("activities:activity_detail", args=[activity.pk]), reverse("activities:activity_list")):
        html = client.get(page).content.decode()
        image = re.search(rf'<img[^>]*src="{re.escape(url)}"[^>]*>', html)
        assert image, page
        assert "alt=" in image.group(0)


@pytest.mark.django_db
def test_media_outside_the_media_root_is_not_served(client):
    assert client.get("/media/../portal/settings.py").status_code in (400, 404)
    assert client.get("/media/posters/missing.jpg").status_code == 404


def test_nginx_serves_media_read_only_and_caps_bodies():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "./portal/deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in compose
    assert "media:/var/lib/portal/media:ro" in compose
    conf = (ROOT / "portal/deploy/nginx.conf").read_text()
    assert "alias /var/lib/portal/media/$1;" in conf
    assert re.search(r"client_max_body_size \d+m;", conf)
    assert "proxy_pass http://portal_web;" in conf


# --- the size of anonymous requests ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_large_anonymous_body_is_refused_before_it_is_read(client, settings):
    settings.ANONYMOUS_MAX_BODY_BYTES = 64 * 1024
    response = client.post(reverse("login"), {"username": "x", "password": "y" * 70_000})
    assert response.status_code == 413


@pytest.mark.django_db
def test_the_login_form_still_works_for_anonymous_visitors(client, cadre):
    cadre.user.set_password("Quite-strong-2026")
    cadre.user.save()
    cadre.must_change_password = False
    cadre.save(update_fields=["must_change_password"])
    response = client.post(reverse("login"), {"username": cadre.user.username, "password": "Quite-strong-2026"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_chunked_anonymous_body_without_length_is_refused(client):
    response = client.generic("POST", reverse("login"), b"", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411


@pytest.mark.django_db
def test_an_invalid_content_length_is_a_400(client):
    response = client.generic("POST", reverse("login"), b"", CONTENT_LENGTH="²")
    assert response.status_code == 400


@pytest.mark.django_db
def test_signed_in_users_are_not_held_to_the_anonymous_cap(client, staff_user, settings):
    settings.ANONYMOUS_MAX_BODY_BYTES = 1024
    client.force_login(staff_user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/", "pad": "x" * 5000})
    assert response.status_code == 302
