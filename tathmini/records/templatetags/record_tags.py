from typing import Any

from django import template

from tathmini.records.selectors import can_read_any

register = template.Library()


@register.simple_tag
def can_read_records(user: Any) -> bool:
    """Whether the navigation offers the records pages: to anyone who may read some record type."""
    return bool(user.is_authenticated) and can_read_any(user)
