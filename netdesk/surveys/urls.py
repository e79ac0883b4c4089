from django.urls import path

from netdesk.surveys import views, views_manage

urlpatterns = [
    path("survey/<str:token>/", views.survey_page, name="survey_page"),
    path("surveys/settings/", views_manage.settings_page, name="survey_settings"),
    path("surveys/follow-ups/", views_manage.follow_ups_page, name="survey_follow_ups"),
    path(
        "surveys/follow-ups/<int:pk>/",
        views_manage.follow_up_page,
        name="survey_follow_up",
    ),
]
