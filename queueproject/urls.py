from django.contrib import admin
from django.urls import include, path

from queueproject.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("", include("dashboard.urls")),
]
