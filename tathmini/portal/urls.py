from django.urls import path

from tathmini.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("katalogi.json", views.catalogue_json, name="catalogue_json"),
    path("e/<slug:code>/", views.eservice, name="eservice"),
    path("e/<slug:code>.json", views.eservice_json, name="eservice_json"),
    path("taasisi/<slug:code>/", views.institution, name="institution"),
    path("taasisi/<slug:code>.json", views.institution_json, name="institution_json"),
    path("nifanyeje/", views.guide_list, name="guides"),
    path("nifanyeje/<slug:slug>/", views.guide, name="guide"),
    path("malalamiko/", views.complaint_new, name="complaint_new"),
    path("malalamiko/<str:reference>/", views.complaint, name="complaint"),
    path("maombi/", views.request_new, name="request_new"),
    path("maombi/<str:reference>/", views.information_request, name="request"),
    path("fuatilia/", views.track, name="track"),
    path("utafiti/mwaliko/<slug:token>/", views.survey_invitation, name="survey_invitation"),
    path("utafiti/wazi/<slug:token>/", views.survey_link, name="survey_link"),
    path("utafiti/asante/", views.survey_thanks, name="survey_thanks"),
    path("matokeo/", views.scoreboard_page, name="scoreboard"),
    path("matokeo.json", views.scoreboard_json, name="scoreboard_json"),
    path("matokeo.csv", views.scoreboard_csv, name="scoreboard_csv"),
    path("dawati/", views.desk, name="desk"),
    path("dawati/malalamiko/<int:pk>/", views.desk_complaint, name="desk_complaint"),
    path("dawati/maombi/<int:pk>/", views.desk_request, name="desk_request"),
    path("dawati/tafiti/", views.survey_list, name="survey_list"),
    path("dawati/tafiti/<slug:code>/", views.survey_links, name="survey_links"),
]
