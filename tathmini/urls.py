from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from tathmini.core.access import public

urlpatterns = [
    path("", include("tathmini.core.urls")),
    path("", include("tathmini.strategy.urls")),
    path("accounts/", include("tathmini.accounts.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
