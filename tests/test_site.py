"""The site's shell: its stylesheet is served, and pages carry what every page needs."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_the_stylesheet_is_served(db: Any) -> None:
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert b".map-band" in body


def test_pages_have_landmarks_a_skip_link_and_the_language_switch(db: Any) -> None:
    page = Client().get("/plans/ega-2012-2017/").content.decode()
    for needle in ('<main id="main"', "<header", "<nav", "<footer", 'class="skip"', 'name="language" value="en"'):
        assert needle in page, needle
