from django.urls import path

from . import public_views, views

urlpatterns = [
    # staff pages
    path("surveys/<int:survey_id>/invite/", views.survey_invite, name="survey_invite"),
    path(
        "surveys/<int:survey_id>/campaigns/<int:campaign_id>/",
        views.campaign_detail,
        name="outreach_campaign",
    ),
    path("surveys/<int:survey_id>/qr.svg", views.survey_qr, {"kind": "svg"}, name="survey_qr_svg"),
    path("surveys/<int:survey_id>/qr.png", views.survey_qr, {"kind": "png"}, name="survey_qr_png"),
    path("settings/outreach/", views.outreach_settings, name="outreach_settings"),
    # public pages
    path("s/<slug:slug>/i/<str:token>/", public_views.survey_invitation, name="survey_invitation"),
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="outreach_unsubscribe"),
]
