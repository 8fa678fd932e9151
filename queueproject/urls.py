from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from jobs.views import prometheus_metrics
from queueproject.api.views import UnknownEndpoint
from queueproject.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", prometheus_metrics, name="metrics"),
    path("api/v1/queue/", include("jobs.api.urls")),
    path("api/v1/bulk-upload/", include("uploads.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", UnknownEndpoint.as_view()),
    path("admin/", admin.site.urls),
    path("django-rq/", include("queueproject.rq_views")),
    path("dashboard/", include("dashboard.urls")),
    path("", RedirectView.as_view(pattern_name="dashboard:overview"), name="home"),
]
