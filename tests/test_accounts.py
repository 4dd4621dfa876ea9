from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tathmini.accounts.models import LoginThrottle, User
from tathmini.accounts.roles import Role
from tathmini.accounts.services import user_set_roles

PASSWORD = "correct-horse-battery"


@pytest.fixture
def officer(db: Any) -> User:
    return User.objects.create_user(username="afisa", password=PASSWORD)


def sign_in(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_every_role_of_the_design_is_a_group(db: Any) -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert {"administrator", "me_officer", "agency_officer", "focal_person", "manager"} <= names


def test_me_officer_may_change_targets_but_focal_person_may_not(db: Any) -> None:
    me = User.objects.create_user(username="mne", password=PASSWORD)
    focal = User.objects.create_user(username="focal", password=PASSWORD)
    user_set_roles(me, [Role.ME_OFFICER])
    user_set_roles(focal, [Role.FOCAL_PERSON])
    me, focal = User.objects.get(pk=me.pk), User.objects.get(pk=focal.pk)  # fresh permission caches
    assert me.has_perm("strategy.change_target") and me.is_staff
    assert not focal.has_perm("strategy.change_target") and not focal.is_staff


def test_unknown_role_is_refused(officer: User) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        user_set_roles(officer, ["superhero"])


def test_a_good_password_signs_in(client: Client, officer: User) -> None:
    response = sign_in(client, "afisa", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_repeated_failures_lock_the_account_even_against_the_right_password(client: Client, officer: User) -> None:
    for _ in range(3):
        response = sign_in(client, "afisa", "wrong")
        assert response.status_code == 200  # the form again, with an error
    response = sign_in(client, "AFISA", PASSWORD)  # case does not dodge the lock
    assert response.status_code == 200
    assert (
        "locked" in response.context["form"].errors["__all__"][0]
        or "imefungwa" in response.context["form"].errors["__all__"][0]
    )
    assert client.get(reverse("accounts:profile")).status_code == 302  # still signed out


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_the_lock_expires(client: Client, officer: User) -> None:
    for _ in range(3):
        sign_in(client, "afisa", "wrong")
    LoginThrottle.objects.filter(username="afisa").update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sign_in(client, "afisa", PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_a_success_resets_the_count(client: Client, officer: User) -> None:
    sign_in(client, "afisa", "wrong")
    sign_in(client, "afisa", "wrong")
    assert sign_in(client, "afisa", PASSWORD).status_code == 302
    client.logout()
    sign_in(client, "afisa", "wrong")
    sign_in(client, "afisa", "wrong")
    assert sign_in(client, "afisa", PASSWORD).status_code == 302


def test_demo_users_exist_one_per_role(db: Any) -> None:
    for role in Role:
        assert (
            User.objects.filter(
                groups__name=role.value,
                username__in=["msimamizi", "afisa.mne", "afisa.ushauri", "mratibu.taasisi", "mkuu.idara"],
            ).count()
            == 1
        ), role
    focal = User.objects.get(username="mratibu.taasisi")
    assert focal.institution is not None
    assert User.objects.get(username="admin").is_superuser
