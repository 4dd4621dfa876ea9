"""Record types of the Agency's own work (see tathmini/records/types.py)."""

from tathmini.records.types import RecordType, register
from tathmini.services import models as m

register(
    RecordType(
        key="engagements", model=m.Engagement,
        fields=("reference", "institution", "kind", "service", "status", "requested_on", "started_on",
                "completed_on", "officer", "org_unit", "fee", "satisfaction", "notes"),
        natural_key=("reference",), scope="institution", editor_functions=frozenset({"advisory"}),
        lookups={"institution": "code", "officer": "username", "org_unit": "code"},
        search=("reference", "institution__code", "institution__name_sw", "notes"),
        filters=("kind", "service", "status"),
        list_columns=("reference", "institution", "kind", "service", "status", "requested_on", "completed_on",
                      "satisfaction"),
        date_field="requested_on",
    ),
    RecordType(
        key="budget-lines", model=m.BudgetLine,
        fields=("fiscal_year", "code", "category", "org_unit", "description", "amount"),
        natural_key=("fiscal_year", "code"), scope=None, editor_functions=frozenset({"finance"}), focal_reads=False,
        lookups={"org_unit": "code"}, search=("code", "description"), filters=("fiscal_year", "category"),
        list_columns=("fiscal_year", "code", "category", "org_unit", "amount"),
    ),
    RecordType(
        key="revenue", model=m.Revenue,
        fields=("reference", "received_on", "source", "amount", "payer", "description"),
        natural_key=("reference",), scope=None, editor_functions=frozenset({"finance"}), focal_reads=False,
        lookups={"payer": "code"}, search=("reference", "description", "payer__code"), filters=("source",),
        list_columns=("reference", "received_on", "source", "amount", "payer"), date_field="received_on",
    ),
    RecordType(
        key="posts", model=m.PostRecord,
        fields=("org_unit", "position", "as_of", "approved", "filled"),
        natural_key=("org_unit", "position", "as_of"), scope=None, editor_functions=frozenset({"hr"}),
        focal_reads=False, lookups={"org_unit": "code"}, search=("position", "org_unit__code"),
        filters=("org_unit",), list_columns=("org_unit", "position", "as_of", "approved", "filled"), date_field="as_of",
    ),
)
