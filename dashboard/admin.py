"""The admin and the dashboard link to each other: the admin's "View site" opens the dashboard,
and a job's "View on site" opens its page there (QueueJob.get_absolute_url)."""

from django.contrib import admin

admin.site.site_url = "/dashboard/"
admin.site.site_header = "queueproject administration"
admin.site.site_title = "queueproject admin"
