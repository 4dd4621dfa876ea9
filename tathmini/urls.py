from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from tathmini.core.access import public

urlpatterns = [
    path("", include("tathmini.core.urls")),
    path("", include("tathmini.strategy.urls")),
    path("accounts/", include("tathmini.accounts.urls")),
    path("records/import/", include("tathmini.records.import_urls")),  # before records/<key>/
    path("records/", include("tathmini.records.urls")),
    path("api/", include("tathmini.api.urls")),
    path("measure/manual/", include("tathmini.measure.manual_urls")),  # before measure/<…>/
    path("measure/", include("tathmini.measure.urls")),
    path("status/", include("tathmini.monitor.urls")),
    path("huduma/", include("tathmini.portal.urls")),  # the public portal
    path("reports/", include("tathmini.reports.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

# Generic pages in both languages, never a traceback; refusals and server errors are logged with
# the reference the page shows (tathmini/core/errors.py).
handler400 = "tathmini.core.errors.bad_request"
handler403 = "tathmini.core.errors.permission_denied"
handler404 = "tathmini.core.errors.page_not_found"
handler500 = "tathmini.core.errors.server_error"
