from django.urls import URLPattern

# Names are prefixed with the app ("phone_..."), like every app's.
urlpatterns: list[URLPattern] = []
