"""Signals that let downstream apps follow upstream writes without upstream importing them.

``records_changed`` is sent after operational records are written (web form, import, API,
public site): the indicator engine listens and recomputes only what the change touches.
"""

from django.dispatch import Signal

# sender: the model class; kwargs: dates (set of datetime.date the written rows carried, old and
# new values; empty when the change carries no date, e.g. an institution's category) and, when
# the sender knows them, fields (field name → the dates that field carried, old and new; a field
# that was empty before and after is absent), so that a listener can tell which of a row's dates
# moved what.
records_changed = Signal()
