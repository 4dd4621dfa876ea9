from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tathmini.accounts.forms import LockoutAuthenticationForm
from tathmini.accounts.roles import Role
from tathmini.core.access import public, signed_in

login = public(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=LockoutAuthenticationForm,
        redirect_authenticated_user=True,
    )
)
logout = public(auth_views.LogoutView.as_view())


@signed_in
def profile(request: HttpRequest) -> HttpResponse:
    labels = dict(Role.choices)
    return render(
        request,
        "accounts/profile.html",
        {
            "roles": [labels.get(name, name) for name in sorted(request.user.roles)],  # type: ignore[union-attr]
        },
    )
