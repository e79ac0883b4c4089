"""Competency screens: framework."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
