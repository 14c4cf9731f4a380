"""Staff pages of the closed loop (/cases/)."""

from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("work/", views.WorkView.as_view(), name="work"),
    path("intake/", views.IntakeView.as_view(), name="intake"),
    path("intake/categories/", views.CategorySearchView.as_view(), name="category-search"),
    path("intake/similar/", views.SimilarCasesView.as_view(), name="similar-cases"),
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/receipt/", views.ReceiptView.as_view(), name="receipt"),
    path("<int:pk>/print/<slug:kind>/", views.CaseDocumentView.as_view(), name="document"),
    path("<int:pk>/attachments/", views.AttachmentUploadView.as_view(), name="attachments"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.AttachmentView.as_view(), name="attachment"),
    path("<int:pk>/actions/<slug:command>/", views.CaseActionView.as_view(), name="action"),
]
