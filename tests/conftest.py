import os
from pathlib import Path

import pytest

from tests.factories import CadreFactory, LiaisonFactory, UnitFactory, make_leader, make_staff

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at full strength would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def unit(db):
    return UnitFactory()


@pytest.fixture
def other_unit(db):
    return UnitFactory()


@pytest.fixture
def cadre(unit):
    return CadreFactory(unit=unit)


@pytest.fixture
def liaison(unit):
    return LiaisonFactory(unit=unit)


@pytest.fixture
def other_liaison(other_unit):
    return LiaisonFactory(unit=other_unit)


@pytest.fixture
def staff_user(db):
    return make_staff()


@pytest.fixture
def leader(db):
    return make_leader()


def _unavailable(reason):
    # In CI a suite that cannot run is a failure, never a quiet skip.
    if os.environ.get("PORTAL_REQUIRE_ALL_SUITES") == "1":
        pytest.fail(f"required suite cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("services"):
        from django.conf import settings

        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            _unavailable("services tests need DATABASE_URL pointing at PostgreSQL (make test-services)")
        if not settings.REDIS_URL:
            _unavailable("services tests need REDIS_URL (make test-services)")
    if item.get_closest_marker("browser") and not Path(CHROMIUM_PATH).exists():
        _unavailable(f"browser tests need Chromium at {CHROMIUM_PATH}")


@pytest.fixture
def role_users(cadre, liaison, other_liaison, staff_user, leader):
    """The user of each role of a permission matrix (liaison: of `unit`; other_liaison: of `other_unit`)."""
    return {
        "anonymous": None,
        "cadre": cadre.user,
        "liaison": liaison.user,
        "other_liaison": other_liaison.user,
        "staff": staff_user,
        "leader": leader,
    }
