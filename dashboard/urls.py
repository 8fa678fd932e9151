from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard.views import jobs, overview, queues, uploads, workers

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
    path("uploads/", uploads.upload_list, name="uploads"),
    path("uploads/new/", uploads.upload_new, name="upload-new"),
    path("uploads/<uuid:job_id>/", uploads.upload_detail, name="upload-detail"),
    path("uploads/<uuid:job_id>/panel/", uploads.upload_panel, name="upload-panel"),
    path("uploads/<uuid:job_id>/confirm/", uploads.upload_confirm, name="upload-confirm"),
    path("uploads/<uuid:job_id>/cancel/", uploads.upload_cancel, name="upload-cancel"),
    path("uploads/<uuid:job_id>/report/", uploads.upload_report, name="upload-report"),
    path("uploads/<uuid:job_id>/file/", uploads.upload_file, name="upload-file"),
    path("templates/<str:import_type>/", uploads.template_download, name="template"),
    path("workers/", workers.worker_list, name="workers"),
    path("queues/", queues.queue_list, name="queues"),
    path("queues/clean/", queues.queue_clean, name="queue-clean"),
    path("queues/<str:queue>/retry-failed/", queues.queue_retry_failed, name="queue-retry-failed"),
    path("queues/<str:queue>/<str:action>/", queues.queue_switch, name="queue-switch"),
    path("processing/<str:action>/", queues.processing_switch, name="processing-switch"),
]
