from django.urls import path

from tathmini.records import views

app_name = "records"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:key>/", views.record_list, name="list"),
    path("<slug:key>/new/", views.record_create, name="create"),
    path("<slug:key>/export.csv", views.export_csv, name="export_csv"),
    path("<slug:key>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<slug:key>/<int:pk>/", views.record_detail, name="detail"),
    path("<slug:key>/<int:pk>/edit/", views.record_edit, name="edit"),
    path("<slug:key>/<int:pk>/delete/", views.record_delete, name="delete"),
]
