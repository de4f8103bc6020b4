"""Operations pages for head office (included under ops/)."""

from django.urls import path

from core import ops_views

app_name = "core"

urlpatterns = [
    path("runs/", ops_views.JobRunListView.as_view(), name="job_runs"),
]
