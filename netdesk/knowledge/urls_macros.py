"""Paths of the macro pages (mounted under /kb/macros/)."""

from django.urls import URLPattern, URLResolver, path

from netdesk.knowledge import views_macros

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_macros.macro_list_view, name="kb_macro_list"),
    path("new/", views_macros.macro_new, name="kb_macro_new"),
    path("offered/", views_macros.macro_offered, name="kb_macro_offered"),
    path("<int:pk>/", views_macros.macro_edit, name="kb_macro_edit"),
    path("<int:pk>/delete/", views_macros.macro_delete_view, name="kb_macro_delete"),
    path("<int:pk>/render/<str:ref>/", views_macros.macro_render_view, name="kb_macro_render"),
]
