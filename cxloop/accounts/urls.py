from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("workspaces/switch/", views.switch_workspace, name="switch_workspace"),
    path("workspaces/new/", views.workspace_new, name="workspace_new"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/workspace/", views.workspace_rename, name="workspace_rename"),
    path("settings/workspace/privacy/", views.workspace_privacy, name="workspace_privacy"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/invite/", views.member_invite, name="member_invite"),
    path("settings/members/<int:member_id>/role/", views.member_role, name="member_role"),
    path("settings/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "settings/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"
    ),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("settings/audit/", views.audit_log, name="audit_log"),
]
