from django.urls import path, re_path

from tathmini.api import views
from tathmini.core.access import api_token, public

app_name = "api"

urlpatterns = [
    path("schema/", public(views.SchemaView.as_view()), name="schema"),
    path("docs/", public(views.DocsView.as_view()), name="docs"),
    path("tokens/", views.tokens, name="tokens"),
    path("v1/", api_token(views.ApiIndex.as_view()), name="index"),
    path("v1/<slug:key>/", api_token(views.RecordList.as_view()), name="records"),
    path("v1/<slug:key>/<int:pk>/", api_token(views.RecordDetail.as_view()), name="record"),
    # Last: any other address under /api/ is a 404 problem document, whatever the method and
    # whatever the address holds (an encoded line break, %0A, too: "." would not match it).
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found, name="not_found"),
]
