import os
from pathlib import Path

import pytest

from tests.factories import CadreFactory, LiaisonFactory, UnitFactory, make_leader, make_staff

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORTS_ROOT = tmp_path / "private" / "imports"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at full strength would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The login throttle counts failures in the cache (per process): one test's failed logins must not
    # throttle the next test's.
    from django.core.cache import cache

    cache.clear()


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
def refereed_competition(staff_user):
    """A drawn round robin of four teams, its matches timed: the competition the `referee` role referees."""
    from datetime import timedelta

    from django.utils import timezone

    from activities.models import Competition
    from activities.services.fixtures import fixtures_generate
    from tests.activities.factories import CompetitionFactory, TeamFactory

    competition = CompetitionFactory(format=Competition.Format.ROUND_ROBIN, discipline="乒乓球")
    for place_no in range(1, 5):
        TeamFactory(competition=competition, place_no=place_no)
    fixtures_generate(actor=staff_user, competition=competition)
    competition.matches.update(scheduled_at=timezone.now() + timedelta(hours=2), court="1号台")
    return competition


@pytest.fixture
def referee(refereed_competition):
    """A cadre (of a unit of their own) assigned as referee of `refereed_competition`."""
    cadre = CadreFactory()
    refereed_competition.referees.add(cadre.user)
    return cadre


@pytest.fixture
def role_users(cadre, liaison, other_liaison, referee, staff_user, leader):
    """The user of each role of a permission matrix (liaison: of `unit`; other_liaison: of `other_unit`;
    referee: of `refereed_competition`)."""
    return {
        "anonymous": None,
        "cadre": cadre.user,
        "liaison": liaison.user,
        "other_liaison": other_liaison.user,
        "referee": referee.user,
        "staff": staff_user,
        "leader": leader,
    }
