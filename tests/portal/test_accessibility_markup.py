"""Accessibility fixes that need no browser: navbar contrast, translated aria-labels, list markup, admin labels.

The browser suite runs axe-core over the pages (tests/browser/test_accessibility.py); these catch the same
mistakes in a second, in the unit suite.
"""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.activities.factories import ActivityFactory

ROOT = Path(__file__).resolve().parents[2]
# Bootstrap's .navbar-dark link colour, used when portal.css does not set its own.
BOOTSTRAP_DARK_NAVBAR_LINK = (255, 255, 255, 0.55)


def _hex(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def _luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_navbar_links_meet_wcag_aa_contrast_on_the_red():
    css = (ROOT / "static" / "css" / "portal.css").read_text()
    red = _hex(re.search(r"--portal-red:\s*(#[0-9a-fA-F]{3,6})", css)[1])
    block = re.search(r"\.portal-navbar\s*\{([^}]*)\}", css)[1]
    link = re.search(r"--bs-navbar-color:\s*(#[0-9a-fA-F]{3,6})", block)
    if link:
        foreground = _hex(link[1])
    else:
        *white, alpha = BOOTSTRAP_DARK_NAVBAR_LINK
        foreground = tuple(round(alpha * w + (1 - alpha) * r) for w, r in zip(white, red, strict=True))
    assert contrast(foreground, red) >= 4.5
    hover = re.search(r"--bs-navbar-hover-color:\s*(#[0-9a-fA-F]{3,6})", block)
    assert hover and contrast(_hex(hover[1]), red) >= 4.5


def test_every_aria_label_is_translated():
    """A literal aria-label is read out in English to a Chinese user: it must come from {% translate %} or data."""
    literal = []
    for template in (ROOT / "templates").rglob("*.html"):
        for value in re.findall(r'aria-label="([^"]*)"', template.read_text()):
            if "{%" not in value and "{{" not in value:
                literal.append(f"{template.relative_to(ROOT)}: {value}")
    assert not literal


@pytest.mark.django_db
def test_the_referee_filter_is_a_list_of_links_not_a_broken_tablist(client, staff_user, refereed_competition):
    client.force_login(staff_user)
    html = client.get(reverse("activities:referee_competition", args=[refereed_competition.pk])).content.decode()
    assert 'role="tablist"' not in html
    assert re.search(r'<nav aria-label="[^"]+"><ul class="nav nav-pills[^"]*">\s*<li class="nav-item">', html)


@pytest.mark.django_db
def test_admin_date_and_time_inputs_each_have_a_label(client, staff_user):
    client.force_login(staff_user)
    activity = ActivityFactory()
    html = client.get(reverse("admin:activities_activity_change", args=[activity.pk])).content.decode()
    for input_id in ("id_starts_at_0", "id_starts_at_1", "id_ends_at_0", "id_ends_at_1"):
        assert f'id="{input_id}"' in html
        assert f'<label for="{input_id}">' in html, input_id


def test_the_main_navigation_is_a_named_landmark():
    # Pages with a second <nav> (back links) need the two landmarks told apart.
    assert re.search(
        r'<nav class="navbar[^"]*" aria-label="\{% translate', (ROOT / "templates/partials/navbar.html").read_text()
    )
