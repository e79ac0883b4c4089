from django.urls import URLPattern

# Names are prefixed with the app ("portal_..."), like every app's.
urlpatterns: list[URLPattern] = []
