from django.urls import path

from tathmini.monitor import views

app_name = "monitor"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("index.json", views.overview_json, name="overview_json"),
    path("institution/<slug:code>/", views.institution, name="institution"),
    path("institution/<slug:code>.json", views.institution_json, name="institution_json"),
    path("service/<slug:code>/", views.service, name="service"),
    path("service/<slug:code>.json", views.service_json, name="service_json"),
    path("service/<slug:code>/pause/", views.pause, name="pause"),
    path("service/<slug:code>/settings/", views.edit, name="edit"),
]
