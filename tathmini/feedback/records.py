"""Record types of complaints, information requests and surveys (see tathmini/records/types.py)."""

from tathmini.records.types import RecordType, register
from tathmini.feedback import models as m

register(
    RecordType(
        key="complaints", model=m.Complaint,
        fields=("reference", "channel", "about", "institution", "eservice", "category", "subject", "description",
                "complainant_name", "complainant_contact", "received_at", "resolved_at", "status", "resolution"),
        natural_key=("reference",), scope="institution", editor_functions=frozenset({"complaints"}), focal_edits=True,
        lookups={"institution": "code", "eservice": "code"},
        search=("reference", "subject", "description", "institution__code"),
        filters=("about", "category", "status", "channel"),
        list_columns=("reference", "about", "institution", "category", "subject", "received_at", "status"),
        date_field="received_at",
    ),
    RecordType(
        key="information-requests", model=m.InformationRequest,
        fields=("reference", "institution", "subject", "question", "requester_name", "requester_contact",
                "submitted_at", "deadline", "answered_at", "status", "answer"),
        natural_key=("reference",), scope="institution", editor_functions=frozenset({"complaints"}),
        focal_edits=True, lookups={"institution": "code"},
        search=("reference", "subject", "question", "institution__code"), filters=("status",),
        list_columns=("reference", "institution", "subject", "submitted_at", "deadline", "status"),
        date_field="submitted_at",
    ),
    RecordType(
        key="surveys", model=m.Survey,
        fields=("code", "kind", "name_sw", "name_en", "opens_on", "closes_on"),
        natural_key=("code",), scope=None, search=("code", "name_sw", "name_en"), filters=("kind",),
        list_columns=("code", "kind", "name_sw", "opens_on", "closes_on"), date_field="opens_on",
    ),
    RecordType(
        key="survey-questions", model=m.SurveyQuestion,
        fields=("survey", "order", "text_sw", "text_en"),
        natural_key=("survey", "order"), scope=None, lookups={"survey": "code"},
        search=("text_sw", "text_en", "survey__code"), filters=("survey",),
        list_columns=("survey", "order", "text_sw"),
    ),
    RecordType(
        key="survey-responses", model=m.SurveyResponse,
        fields=("survey", "submitted_at", "respondent", "institution", "score", "comment"),
        natural_key=(), scope="institution", lookups={"survey": "code", "institution": "code"},
        search=("survey__code", "institution__code", "comment"), filters=("survey", "respondent"),
        list_columns=("survey", "submitted_at", "respondent", "institution", "score"), date_field="submitted_at",
    ),
)
