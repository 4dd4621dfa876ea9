""" "How do I…?" (Nifanyeje?) guides for common tasks: short steps, each ending in a catalogue search,
a filter or a form of the portal. Written here, with the UI's translations, as they describe the
portal itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Guide:
    slug: str
    title: Any
    steps: tuple[Any, ...]
    link_label: Any
    link_name: str  # a URL name in the portal
    link_query: str = ""


GUIDES = (
    Guide(
        "kusajili-biashara",
        _("How do I register a business?"),
        (
            _("Open the catalogue's category “Starting and running a business”."),
            _("Choose the registration service of the right institution (a company, a business name or a licence)."),
            _("Read how to use it, have your identity number ready, and follow the service's address."),
        ),
        _("Business services"),
        "portal:catalogue",
        "life_event=business",
    ),
    Guide(
        "kupata-kitambulisho",
        _("How do I get an identity document or a certificate?"),
        (
            _("Open the catalogue's category “Identity and civil registration”."),
            _("Choose the service for your document: a national identity card, a birth or death certificate."),
            _("Each service page says what it costs and through which channels (web, mobile, USSD) it works."),
        ),
        _("Identity services"),
        "portal:catalogue",
        "life_event=identity",
    ),
    Guide(
        "kulipa-kodi",
        _("How do I pay a tax, fee or bill?"),
        (
            _("Search the catalogue for the payment, for example “kodi” or “ada”."),
            _("The service page gives the fee and the institution that collects it."),
            _("Pay only through the channels the page lists, and keep the control number."),
        ),
        _("Taxes and payments"),
        "portal:catalogue",
        "life_event=tax",
    ),
    Guide(
        "kulalamika",
        _("How do I complain about a service?"),
        (
            _("Open the complaint form, or the “Complain about this e-service” link on a service's page."),
            _("Say what happened. Your name and contact are optional: you may stay anonymous."),
            _("Keep the reference number you are given, and follow the complaint with it."),
        ),
        _("File a complaint"),
        "portal:complaint_new",
    ),
    Guide(
        "kuomba-taarifa",
        _("How do I ask a public institution for information?"),
        (
            _("Open the information request form and choose the institution."),
            _("Say clearly what information you ask for."),
            _("The institution must answer within the working days the page states."),
            _("Follow the request by its reference number."),
        ),
        _("Ask for information"),
        "portal:request_new",
    ),
    Guide(
        "kufuatilia",
        _("How do I follow my complaint or request?"),
        (
            _("Open the tracking page."),
            _("Type the reference number you were given (for example MAL-23AB-CD45)."),
            _("The page shows its state and every step taken, with the answer when there is one."),
        ),
        _("Follow a reference number"),
        "portal:track",
    ),
)

BY_SLUG = {g.slug: g for g in GUIDES}
