from django.urls import path

from tathmini.measure import views

app_name = "measure"

urlpatterns = [
    path("values/<int:pk>/", views.value_detail, name="value"),
    path("values/<int:pk>/<slug:term>.csv", views.value_export_csv, name="value_export_csv"),
    path("values/<int:pk>/<slug:term>.xlsx", views.value_export_xlsx, name="value_export_xlsx"),
    path("indicators/<int:pk>/definition/", views.definition_edit, name="definition_edit"),
    path("indicators/<int:pk>/definitions/", views.definition_history, name="definitions"),
    path("indicators/<int:pk>/definitions/<int:version>/", views.definition_version, name="definition_version"),
    path("indicators/<int:pk>/targets/", views.targets_edit, name="targets"),
]
