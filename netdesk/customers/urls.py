from django.urls import path

from netdesk.customers import views

urlpatterns = [
    path("", views.customer_search_view, name="customer_search"),
    path("<int:customer_id>/", views.customer_detail, name="customer_detail"),
]
