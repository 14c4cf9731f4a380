"""Pages of the library app (/library/)."""

from django.urls import path

from . import views

app_name = "library"

urlpatterns = [
    path("", views.LibraryView.as_view(), name="list"),
    path("<int:pk>/", views.WriteUpDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.WriteUpEditView.as_view(), name="edit"),
    path("<int:pk>/actions/<slug:command>/", views.WriteUpCommandView.as_view(), name="action"),
    path("new/<int:case_id>/", views.WriteUpCreateView.as_view(), name="create"),
    path("typical/", views.TypicalView.as_view(), name="typical"),
    path("cases/", views.PublicLibraryView.as_view(), name="public-list"),
    path("cases/<int:pk>/", views.PublicWriteUpView.as_view(), name="public-detail"),
    path("suggest/", views.SuggestView.as_view(), name="suggest"),
    path("suggest/follow/", views.FollowView.as_view(), name="follow"),
]
