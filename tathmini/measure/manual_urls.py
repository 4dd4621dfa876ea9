from django.urls import path

from tathmini.measure import manual_views as views

app_name = "manual"

urlpatterns = [
    path("", views.value_list, name="list"),
    path("new/", views.value_create, name="create"),
    path("<int:pk>/", views.value_detail, name="detail"),
    path("<int:pk>/edit/", views.value_edit, name="edit"),
    path("<int:pk>/delete/", views.value_delete, name="delete"),
    path("<int:pk>/submit/", views.value_submit, name="submit"),
    path("<int:pk>/return/", views.value_return, name="return"),
    path("<int:pk>/approve/", views.value_approve, name="approve"),
    path("<int:pk>/evidence/", views.value_evidence, name="evidence"),
]
