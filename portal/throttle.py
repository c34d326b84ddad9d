"""Login throttling across accounts, against password spraying.

django-axes locks one employee number from one address after a few failures; it does nothing against one address
trying one or two passwords on every account. Here failed logins are counted in the cache (django-ratelimit's
counters) per client address across all accounts, and for the whole site:

- an address with LOGIN_FAILURES_PER_ADDRESS failures in the window is refused until the window ends;
- while the site as a whole has LOGIN_FAILURES_GLOBAL failures in the window (a spray from many addresses),
  only addresses without a failure in the window may still try. Refusing everybody would let an attacker lock
  the whole city out with a few hundred requests; letting clean addresses in keeps people who type their password
  right working, while each attacking address gets at most one guess per window.

A refused attempt never reaches the password check and is not counted itself, so the window always ends.
"""

import ipaddress
import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

ADDRESS_GROUP = "portal.login.failures.address"
SITE_GROUP = "portal.login.failures.site"


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies recorded in X-Forwarded-For.

    Each trusted proxy appends the address it saw, so the client is the Nth entry from the right; entries further
    left were written by the client and prove nothing. Also used by axes (AXES_CLIENT_IP_CALLABLE), which stores
    it in an IP-address column: anything that is not an address (a request built without one, a garbled header)
    is None rather than text PostgreSQL would refuse.
    """
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            remote = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return None


def _address_key(group, request):
    return client_ip(request) or "unknown"


def _site_key(group, request):
    return "site"


def _rate(limit: int):
    return (limit, settings.LOGIN_FAILURES_WINDOW_SECONDS) if limit > 0 else None


def _usage(request, group, key, limit, *, increment=False):
    usage = get_usage(request, group=group, key=key, rate=_rate(limit), increment=increment)
    if usage is None:
        return 0, 0
    if usage["limit"] == 0:
        # django-ratelimit's sign that the cache did not answer. Failing closed would stop every login in the city
        # while the cache is down; axes' per-account lock (in the database) still holds, so fail open.
        logger.warning("Login throttle: the cache did not answer; not throttling.")
        return 0, 0
    return usage["count"], max(usage["time_left"], 1)


def login_blocked(request) -> int:
    """Seconds until this request's address may try to log in again, or 0 when it may try now."""
    count, time_left = _usage(request, ADDRESS_GROUP, _address_key, settings.LOGIN_FAILURES_PER_ADDRESS)
    if count and count >= settings.LOGIN_FAILURES_PER_ADDRESS:
        return time_left
    if count:
        site_count, site_left = _usage(request, SITE_GROUP, _site_key, settings.LOGIN_FAILURES_GLOBAL)
        if site_count >= settings.LOGIN_FAILURES_GLOBAL > 0:
            return site_left
    return 0


def record_failure(request) -> None:
    """Count one failed login for the request's address and for the site."""
    _usage(request, ADDRESS_GROUP, _address_key, settings.LOGIN_FAILURES_PER_ADDRESS, increment=True)
    _usage(request, SITE_GROUP, _site_key, settings.LOGIN_FAILURES_GLOBAL, increment=True)


class LoginThrottled(PermissionDenied):
    """Raised inside authenticate() for a throttled address; stops Django trying the other backends."""


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the throttle, so that every login form (the portal's and the admin's) is covered.

    A throttled address is refused before the password is checked; a failed check is counted.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        wait = login_blocked(request)
        if wait:
            request.portal_login_throttled = wait
            raise LoginThrottled
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request)
        return user
