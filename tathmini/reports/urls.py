from django.urls import path

from tathmini.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("tracking/", views.tracking, name="tracking"),
    path("tracking.xlsx", views.tracking_xlsx, name="tracking_xlsx"),
    path("indicators/<str:code>/", views.indicator_charts, name="indicator"),
    path("quality/", views.data_quality, name="quality"),
    path("new/", views.report_create, name="create"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("<int:pk>/publish/", views.report_publish, name="publish"),
    path("<int:pk>/delete/", views.report_delete, name="delete"),
    path("<int:pk>.pdf", views.report_pdf, name="pdf"),
    path("<int:pk>.xlsx", views.report_xlsx, name="xlsx"),
    path("public/<int:pk>/", views.public_report, name="public"),
    path("public/<int:pk>.pdf", views.public_report_pdf, name="public_pdf"),
]
