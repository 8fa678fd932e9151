from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard.views import jobs, overview, queues, workers

app_name = "dashboard"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="dashboard/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", overview.overview, name="overview"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/new/", jobs.job_new, name="job-new"),
    path("jobs/bulk/", jobs.job_bulk, name="job-bulk"),
    path("jobs/<uuid:job_id>/", jobs.job_detail, name="job-detail"),
    path("jobs/<uuid:job_id>/row/", jobs.job_row, name="job-row"),
    path(
        "jobs/<uuid:job_id>/<str:action>/",
        jobs.job_action,
        name="job-action",
    ),
    path("workers/", workers.worker_list, name="workers"),
    path("queues/", queues.queue_list, name="queues"),
    path("queues/clean/", queues.queue_clean, name="queue-clean"),
    path("queues/<str:queue>/retry-failed/", queues.queue_retry_failed, name="queue-retry-failed"),
    path("queues/<str:queue>/<str:action>/", queues.queue_switch, name="queue-switch"),
    path("processing/<str:action>/", queues.processing_switch, name="processing-switch"),
]
