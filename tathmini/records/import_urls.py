from django.urls import path

from tathmini.records import import_views as views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<uuid:job>/", views.job, name="job"),
    path("<slug:key>/", views.upload, name="upload"),
    path("<slug:key>/template.xlsx", views.template_xlsx, name="template_xlsx"),
    path("<slug:key>/template.csv", views.template_csv, name="template_csv"),
]
