from django.contrib import admin

from tathmini.registry import models as m


@admin.register(m.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "zone", "established_on"]


@admin.register(m.Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_sw", "category", "region", "established_on", "dissolved_on"]
    list_filter = ["category", "region"]
    search_fields = ["code", "name_sw", "name_en"]
