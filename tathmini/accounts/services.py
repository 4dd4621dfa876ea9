"""Writes about accounts: roles and the sign-in lockout."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tathmini.accounts.models import LoginThrottle, User
from tathmini.accounts.roles import STAFF_ROLES, Role


def user_set_roles(user: User, roles: list[str]) -> None:
    """Give ``user`` exactly these roles; staff (admin-site) access follows the roles."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    user.groups.set(Group.objects.filter(name__in=roles))
    user.is_staff = user.is_superuser or any(role in STAFF_ROLES for role in roles)
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("_roles_cache", None)


def _key(username: str) -> str:
    return username.strip().lower()


def login_locked_until(username: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(username=_key(username)).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


@transaction.atomic
def login_failed(username: str) -> bool:
    """Count a failure; the Nth in a row (LOGIN_MAX_FAILURES) locks the name for a while (True)."""
    now = timezone.now()
    throttle, _created = LoginThrottle.objects.get_or_create(username=_key(username))
    LoginThrottle.objects.filter(pk=throttle.pk).update(failures=F("failures") + 1, last_failure_at=now)
    throttle.refresh_from_db()
    if throttle.failures >= settings.LOGIN_MAX_FAILURES:
        throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.failures = 0
        throttle.save(update_fields=["locked_until", "failures"])
        return True
    return False


def login_succeeded(username: str) -> None:
    LoginThrottle.objects.filter(username=_key(username)).delete()
