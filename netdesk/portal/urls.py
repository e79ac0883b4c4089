from django.urls import URLPattern, path

from netdesk.portal import views_home, views_signin

# Names are prefixed with the app ("portal_..."), like every app's.
urlpatterns: list[URLPattern] = [
    path("", views_home.home, name="portal_home"),
    path("preferences/", views_home.preferences, name="portal_preferences"),
    path("sign-in/", views_signin.sign_in, name="portal_sign_in"),
    path("sign-in/sent/", views_signin.sign_in_sent, name="portal_sign_in_sent"),
    path("sign-in/pin/", views_signin.pin_sign_in, name="portal_pin_sign_in"),
    # The secret of a mailed link; GET shows a button, POST signs in.
    path("sign-in/link/<str:secret>/", views_signin.link, name="portal_link"),
    path("sign-out/", views_signin.sign_out, name="portal_sign_out"),
]
