from django.urls import path

from . import views

urlpatterns = [
    path("customers/", views.customer_list, name="customers"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/merge/", views.customer_merge, name="customer_merge"),
    path("customers/<int:customer_id>/export/", views.customer_export, name="customer_export"),
    path("customers/<int:customer_id>/erase/", views.customer_erase, name="customer_erase"),
]
