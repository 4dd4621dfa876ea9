"""The REST API: list, filter, read, create and update every declared record type, generically.

``/api/v1/<key>/`` and ``/api/v1/<key>/<id>/`` serve every type in ``tathmini.records.types``;
the schema (``tathmini.api.schema``) expands them into one documented path per type. Reads
start from ``RecordType.visible``; writes go through ``records.services.save_record`` with the
channel "api". docs/api.md is the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tathmini.accounts.roles import Role
from tathmini.api import idempotency, selectors, services
from tathmini.api.forms import TokenForm
from tathmini.api.models import ApiToken
from tathmini.api.pagination import RecordPagination
from tathmini.api.permissions import HasApiToken, RecordTypePermission, TokenRateThrottle
from tathmini.api.preconditions import check_if_match, etag_from_snapshot, etag_of
from tathmini.api.problems import problem_response
from tathmini.api.schema import ALWAYS, RecordSchema, problems
from tathmini.api.serializers import RecordSerializer, serializer_for
from tathmini.core import audit
from tathmini.core.access import for_roles, public
from tathmini.core.models import AuditEvent
from tathmini.records import exports, types
from tathmini.records.services import save_record
from tathmini.records.types import RecordType


class RecordView:
    """What the list and the detail view share: the record type, its visible records, its serializer."""

    record_type_key: str | None = None  # set per type only for the schema (see tathmini.api.schema)
    permission_classes = [HasApiToken, RecordTypePermission]
    throttle_classes = [TokenRateThrottle]
    schema = RecordSchema()
    kwargs: dict[str, Any]
    request: Request

    @property
    def record_type(self) -> RecordType:
        key = self.record_type_key or self.kwargs.get("key", "")
        try:
            return types.get(key)
        except KeyError:
            raise exceptions.NotFound(_("There is no record type “%(key)s”.") % {"key": key}) from None

    def get_queryset(self) -> models.QuerySet[Any]:
        rt = self.record_type
        if getattr(self, "swagger_fake_view", False):
            return rt.model._default_manager.none()
        return exports.prefetched(rt, rt.visible(self.request.user))

    def get_serializer_class(self) -> type[RecordSerializer]:
        return serializer_for(self.record_type)

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self, "actor": self.request.user}

    def record_response(self, pk: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """The record as a GET returns it, with its ETag (read again after a write, so both agree)."""
        rt = self.record_type
        record = exports.prefetched(rt, rt.model._default_manager.filter(pk=pk)).get()
        data = serializer_for(rt)(record, context=self.get_serializer_context()).data
        return Response(data, status=status, headers={**(headers or {}), "ETag": etag_of(record)})


class RecordList(RecordView, generics.ListCreateAPIView):
    http_method_names = ["get", "post", "head"]  # no OPTIONS: the schema describes the endpoints
    pagination_class = RecordPagination

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = selectors.filtered(self.record_type, self.get_queryset(), request.query_params)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return idempotency.run_once(request, request.auth, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        rt = self.record_type
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = serializer.record
        save_record(
            rt, record, actor=request.user, channel=AuditEvent.Channel.API, before={}, m2m=serializer.many_to_many
        )
        location = request.build_absolute_uri(reverse("api:record", kwargs={"key": rt.key, "pk": record.pk}))
        return self.record_response(record.pk, status=201, headers={"Location": location})


class RecordDetail(RecordView, generics.RetrieveUpdateAPIView):
    http_method_names = ["get", "put", "patch", "head"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        data = self.get_serializer(record).data
        return Response(data, headers={"ETag": etag_of(record)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rt = self.record_type
        with transaction.atomic():
            # Locked until the write commits, so the If-Match check and the write see one state.
            record = get_object_or_404(rt.visible(request.user).select_for_update(of=("self",)), pk=kwargs["pk"])
            before = audit.snapshot(record)  # fresh from the database: the stored state
            check_if_match(request.headers.get("If-Match"), etag_from_snapshot(before))
            serializer = self.get_serializer(record, data=request.data, partial=kwargs.get("partial", False))
            serializer.is_valid(raise_exception=True)
            save_record(
                rt,
                serializer.record,
                actor=request.user,
                channel=AuditEvent.Channel.API,
                before=before,
                m2m=serializer.many_to_many,
            )
        return self.record_response(record.pk)


class ApiIndex(APIView):
    """What the token is and which record types it may read and write."""

    http_method_names = ["get", "head"]
    permission_classes = [HasApiToken]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        tags=["api"],
        responses={
            200: inline_serializer(
                "ApiIndex",
                {
                    "token": inline_serializer(
                        "ApiIndexToken",
                        {
                            "name": serializers.CharField(),
                            "prefix": serializers.CharField(),
                            "institution": serializers.CharField(allow_null=True),
                            "agency_function": serializers.CharField(allow_null=True),
                        },
                    ),
                    "record_types": inline_serializer(
                        "ApiIndexRecordType",
                        {
                            "key": serializers.CharField(),
                            "label": serializers.CharField(),
                            "url": serializers.URLField(),
                            "writable": serializers.BooleanField(),
                        },
                        many=True,
                    ),
                },
            ),
            **problems(*ALWAYS),
        },
    )
    def get(self, request: Request) -> Response:
        token: ApiToken = request.auth
        actor = request.user
        return Response(
            {
                "token": {
                    "name": token.name,
                    "prefix": token.prefix,
                    "institution": token.institution.code if token.institution else None,
                    "agency_function": token.agency_function or None,
                },
                "record_types": [
                    {
                        "key": rt.key,
                        "label": str(rt.label_plural),
                        "url": request.build_absolute_uri(reverse("api:records", kwargs={"key": rt.key})),
                        "writable": rt.editable_by(actor),
                    }
                    for rt in types.all_types()
                    if rt.readable_by(actor)
                ],
            }
        )


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, built and rendered once per process, language and format: it changes
    only with the code, building and rendering it takes a second or two, and the page is public."""

    _built: ClassVar[dict[tuple[str, str], bytes]] = {}

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.GET.get("lang") or translation.get_language()
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE  # an unknown ?lang= must not grow the cache
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (language, renderer.format)
        if key not in self._built:
            with translation.override(language):
                data = self._get_schema_response(request).data
                self._built[key] = renderer.render(data, media_type, self.get_renderer_context())
        content_type = f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
        response = HttpResponse(self._built[key], content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{self._get_filename(request, None)}"'
        return response


class DocsView(SpectacularSwaggerView):
    """The API reference page: Swagger UI started by ``static/js/api-docs.js`` (no inline script)."""

    template_name = "api/docs.html"
    url_name = "api:schema"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        # The base view opens the page to cross-origin windows for an OAuth sign-in popup; this API
        # has none, so the page keeps the site's Cross-Origin-Opener-Policy.
        del response.headers["Cross-Origin-Opener-Policy"]
        return response


@public
@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem document, never an HTML page."""
    detail = _("There is no API endpoint at this address. The endpoints are listed at %(docs)s.") % {
        "docs": reverse("api:docs")
    }
    return problem_response(request, 404, detail, code="not_found")


@for_roles(Role.ADMINISTRATOR)
@never_cache  # the page that shows a new token's text must not be kept by a browser or a proxy
def tokens(request: HttpRequest) -> HttpResponse:
    """The administrators' page: the tokens, a form to make one (its text shown once), revoke."""
    form = TokenForm()
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        pk = request.POST.get("token", "")
        token = get_object_or_404(ApiToken, pk=int(pk) if pk.isdigit() else None)
        if services.token_revoke(token):
            messages.success(request, _("Token %(token)s is revoked.") % {"token": token})
        return redirect("api:tokens")
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            created = services.token_create(
                form.cleaned_data["name"],
                institution=form.cleaned_data["institution"],
                agency_function=form.cleaned_data["agency_function"],
                created_by=request.user,
            )
            form = TokenForm()
    return render(request, "api/tokens.html", {"form": form, "created": created, "tokens": selectors.tokens()})
