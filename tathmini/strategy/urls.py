from django.urls import path

from tathmini.strategy import views

app_name = "strategy"

urlpatterns = [
    path("plans/", views.plan_list, name="plans"),
    path("plan/", views.current_map, name="current"),
    path("plans/<slug:plan>/", views.strategy_map, name="map"),
    path("plans/<slug:plan>/export.yaml", views.plan_export, name="export"),
    path("plans/<slug:plan>/objectives/<str:code>/", views.objective_detail, name="objective"),
    path("plans/<slug:plan>/strategies/<str:code>/", views.strategy_detail, name="strategy"),
    path("plans/<slug:plan>/indicators/", views.indicator_list, name="indicators"),
    path("plans/<slug:plan>/indicators/<str:code>/", views.indicator_detail, name="indicator"),
    path("plans/<slug:plan>/results/<str:code>/", views.result_detail, name="result"),
    path("plans/<slug:plan>/challenges/", views.challenge_list, name="challenges"),
    path("plans/<slug:plan>/challenges/<str:code>/", views.challenge_detail, name="challenge"),
    path("org-units/", views.org_units, name="org_units"),
]
