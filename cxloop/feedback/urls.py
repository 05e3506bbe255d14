from django.urls import path

from . import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:item_id>/", views.item_detail, name="feedback_detail"),
]
