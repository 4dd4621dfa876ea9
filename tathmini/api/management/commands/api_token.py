"""manage.py api_token create | list | revoke — see docs/api.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tathmini.accounts.models import User
from tathmini.api import selectors, services
from tathmini.api.models import ApiToken
from tathmini.registry.models import Institution


class Command(BaseCommand):
    help = "Make, list or revoke API tokens (docs/api.md). A new token's text is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token bound to one institution or one Agency function")
        create.add_argument("--name", required=True, help="the system that will use it")
        bound = create.add_mutually_exclusive_group(required=True)
        bound.add_argument("--institution", metavar="CODE", help="act as this institution's focal person")
        bound.add_argument(
            "--function", choices=ApiToken.Function.values, help="act as an Agency officer of this function ('me': M&E)"
        )
        create.add_argument("--by", metavar="USERNAME", help="the administrator who asked for it")
        sub.add_parser("list", help="list the tokens (prefix, name, binding, last use, revoked)")
        revoke = sub.add_parser("revoke", help="revoke a token from now on")
        revoke.add_argument("prefix", help="the first 8 characters of the token, as listed")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['action']}")(**options)

    def do_create(self, name: str, institution: str | None, function: str | None, by: str | None, **_: Any) -> None:
        bound_to = None
        if institution:
            bound_to = Institution.objects.filter(code=institution).first()
            if bound_to is None:
                raise CommandError(f"no institution with code {institution!r}")
        created_by = None
        if by:
            created_by = User.objects.filter(username=by).first()
            if created_by is None:
                raise CommandError(f"no user {by!r}")
        try:
            token, raw = services.token_create(
                name, institution=bound_to, agency_function=function or "", created_by=created_by
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"token {token.prefix} for {token.binding}: {token.name}"))
        self.stdout.write(raw)
        self.stderr.write("Store it now: it is not kept and cannot be shown again.")

    def do_list(self, **_: Any) -> None:
        for token in selectors.tokens():
            last_used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            binding = f"institution {token.institution.code}" if token.institution else token.agency_function
            self.stdout.write(f"{token.prefix}\t{state}\t{binding}\t{last_used}\t{token.name}")

    def do_revoke(self, prefix: str, **_: Any) -> None:
        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"no token with prefix {prefix!r}")
        if not services.token_revoke(token):
            raise CommandError(f"token {prefix} was already revoked")
        self.stdout.write(self.style.SUCCESS(f"token {prefix} ({token.name}) revoked"))
