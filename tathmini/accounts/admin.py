from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from tathmini.accounts.models import LoginThrottle, User


@admin.register(User)
class TathminiUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), (_("Scope"), {"fields": ("institution", "org_unit", "agency_function")}))
    list_display = ["username", "email", "institution", "org_unit", "agency_function", "is_active"]
    list_filter = ["groups", "agency_function", "is_active"]


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["username", "failures", "locked_until", "last_failure_at"]
