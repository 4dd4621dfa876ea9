"""Record types of the registry (see tathmini/records/types.py)."""

from tathmini.accounts.roles import Role
from tathmini.records.types import RecordType, register
from tathmini.registry import models as m

AGENCY_REGISTRARS = frozenset({Role.ME_OFFICER, Role.ADMINISTRATOR})

register(
    RecordType(
        key="institutions", model=m.Institution,
        fields=("code", "name_sw", "name_en", "category", "region", "parent", "established_on", "dissolved_on"),
        natural_key=("code",), scope="", editor_roles=AGENCY_REGISTRARS,
        lookups={"region": "code", "parent": "code"},
        search=("code", "name_sw", "name_en"), filters=("category", "region"),
        list_columns=("code", "name_sw", "category", "region", "established_on", "dissolved_on"),
    ),
    RecordType(
        key="focal-persons", model=m.FocalPerson,
        fields=("institution", "name", "position", "email", "phone", "active"),
        natural_key=("institution", "email"), scope="institution", editor_roles=AGENCY_REGISTRARS, focal_edits=True,
        lookups={"institution": "code"}, search=("name", "email", "institution__code"), filters=("active",),
        list_columns=("institution", "name", "position", "email", "active"),
    ),
    RecordType(
        key="eservices", model=m.EService,
        fields=("code", "institution", "name_sw", "name_en", "description_sw", "description_en", "how_to_sw",
                "how_to_en", "life_event", "channels", "url", "fee", "launched_on", "retired_on"),
        natural_key=("code",), scope="institution", focal_edits=True, lookups={"institution": "code"},
        search=("code", "name_sw", "name_en", "institution__code"), filters=("life_event", "institution"),
        list_columns=("code", "name_sw", "institution", "life_event", "channels", "launched_on", "retired_on"),
        date_field="launched_on",
    ),
    RecordType(
        key="shared-resources", model=m.SharedResource,
        fields=("code", "name_sw", "name_en", "kind", "offered_from", "offered_to"),
        natural_key=("code",), scope=None, editor_roles=AGENCY_REGISTRARS,
        search=("code", "name_sw", "name_en"), filters=("kind",),
        list_columns=("code", "name_sw", "kind", "offered_from", "offered_to"),
    ),
    RecordType(
        key="resource-use", model=m.ResourceSubscription,
        fields=("institution", "resource", "started_on", "ended_on"),
        natural_key=("institution", "resource", "started_on"), scope="institution", focal_edits=True,
        lookups={"institution": "code", "resource": "code"},
        search=("institution__code", "resource__code"), filters=("resource",),
        list_columns=("institution", "resource", "started_on", "ended_on"), date_field="started_on",
    ),
    RecordType(
        key="workforce-returns", model=m.WorkforceReturn,
        fields=("institution", "as_of", "ict_staff", "qualified_ict_staff"),
        natural_key=("institution", "as_of"), scope="institution", focal_edits=True,
        lookups={"institution": "code"}, search=("institution__code", "institution__name_sw"),
        list_columns=("institution", "as_of", "ict_staff", "qualified_ict_staff"), date_field="as_of",
    ),
    RecordType(
        key="initiatives", model=m.Initiative,
        fields=("code", "institution", "title", "budget", "status", "start_on", "end_on", "review_status",
                "reviewed_on", "review_notes"),
        natural_key=("code",), scope="institution", focal_edits=True, editor_functions=frozenset({"compliance"}),
        lookups={"institution": "code"}, search=("code", "title", "institution__code"),
        filters=("status", "review_status"),
        list_columns=("code", "title", "institution", "status", "start_on", "end_on", "review_status"),
        date_field="start_on",
    ),
    RecordType(
        key="standards", model=m.Standard,
        fields=("code", "version", "title_sw", "title_en", "issued_on"),
        natural_key=("code", "version"), scope=None, editor_functions=frozenset({"compliance"}),
        search=("code", "title_sw", "title_en"), list_columns=("code", "version", "title_sw", "issued_on"),
    ),
    RecordType(
        key="assessments", model=m.ComplianceAssessment,
        fields=("institution", "assessed_on", "standards", "score", "pass_mark", "findings"),
        natural_key=("institution", "assessed_on"), scope="institution",
        editor_functions=frozenset({"compliance"}), lookups={"institution": "code", "standards": "code"},
        search=("institution__code", "institution__name_sw", "findings"),
        list_columns=("institution", "assessed_on", "score", "pass_mark"), date_field="assessed_on",
    ),
    RecordType(
        key="usage-returns", model=m.UsageReturn,
        fields=("eservice", "period_start", "period_end", "transactions", "users"),
        natural_key=("eservice", "period_start"), scope="eservice__institution", focal_edits=True,
        lookups={"eservice": "code"}, search=("eservice__code", "eservice__name_sw"),
        list_columns=("eservice", "period_start", "period_end", "transactions", "users"), date_field="period_start",
    ),
)
