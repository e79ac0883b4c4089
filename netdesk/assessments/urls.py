"""Assessment pages under /competency/, named as they were when competency served them."""

from django.urls import URLPattern, path

from netdesk.assessments.views import (
    assessment_action,
    assessment_page,
    cycle_close,
    cycle_list,
    cycle_open,
    cycle_page,
    exam_page,
)

urlpatterns: list[URLPattern] = [
    path("cycles/", cycle_list, name="competency_cycles"),
    path("cycles/<int:pk>/", cycle_page, name="competency_cycle"),
    path("cycles/<int:pk>/assessments/", cycle_open, name="competency_cycle_open"),
    path("cycles/<int:pk>/close/", cycle_close, name="competency_cycle_close"),
    path("assessments/<int:pk>/", assessment_page, name="competency_assessment"),
    path(
        "assessments/<int:pk>/<str:action>/",
        assessment_action,
        name="competency_assessment_action",
    ),
    path("exams/<int:pk>/", exam_page, name="competency_exam"),
]
