"""Which test proves workspace isolation for each route of the product.

Every URL route and every JSON API operation has one entry: cxloop/web/tests/test_route_coverage.py fails
for a route without one, so a new page or endpoint cannot land without saying how it keeps workspaces apart.

Keys
    a page route by its URL name ("members"; "api:openapi-json" inside the API's namespace), or an API
    operation as "METHOD /api/v1/path" in django-ninja's notation ("GET /api/v1/customers/{int:customer_id}").
Values
    "dotted.test.module::test_function": the test in which a member of another workspace uses the route,
    with this workspace's ids where it takes any, and which asserts on the database and on the answer that
    nothing of this workspace leaked or changed; or
    "no workspace data: <reason>" for a route that reads and writes no workspace's data.
"""

from __future__ import annotations

NO_WORKSPACE_DATA = "no workspace data: "


def _test(module: str, name: str) -> str:
    return f"cxloop.{module}::{name}"


ISOLATION_TESTED: dict[str, str] = {
    # --- JSON API (cxloop/api.py and the apps' routers) ---
    "api:api-root": NO_WORKSPACE_DATA + "django-ninja's index of the API, the same for everyone",
    "api:openapi-json": NO_WORKSPACE_DATA + "the API's schema, the same for everyone",
    "api:openapi-view": NO_WORKSPACE_DATA + "the API explorer page, which only loads the schema",
    "GET /api/v1/health": NO_WORKSPACE_DATA + "liveness check, answers without a key",
    "GET /api/v1/me": _test("accounts.tests.test_api", "test_me_tells_each_key_only_about_its_own_workspace"),
    # --- Sign-in (cxloop/accounts/urls.py) ---
    "login": NO_WORKSPACE_DATA + "checks credentials; the same generic answer for every account",
    "logout": NO_WORKSPACE_DATA + "ends the caller's own session",
    "invitation_accept": _test(
        "accounts.tests.test_invitations", "test_logged_in_user_with_another_email_cannot_accept"
    ),
    # --- Workspaces ---
    "switch_workspace": _test(
        "accounts.tests.test_workspace_switch", "test_posting_another_workspaces_id_does_not_switch"
    ),
    "workspace_new": _test(
        "accounts.tests.test_workspace_new", "test_new_workspace_has_only_its_creator_as_member"
    ),
    # --- Settings ---
    "settings": _test(
        "accounts.tests.test_settings_page", "test_outsider_sees_only_their_own_workspace_settings"
    ),
    "workspace_privacy": _test("analysis.tests.test_privacy", "test_outsider_cannot_change_acme_privacy"),
    "workspace_rename": _test(
        "accounts.tests.test_settings_page", "test_outsider_renames_only_their_own_workspace"
    ),
    "members": _test("accounts.tests.test_members", "test_outsider_sees_only_their_own_workspaces_members"),
    "member_invite": _test(
        "accounts.tests.test_invitations", "test_outsider_invitations_go_to_their_own_workspace"
    ),
    "member_role": _test(
        "accounts.tests.test_members", "test_outsider_cannot_change_roles_in_acme_by_posting_its_member_ids"
    ),
    "member_remove": _test(
        "accounts.tests.test_members", "test_outsider_cannot_remove_acme_members_by_posting_their_ids"
    ),
    "invitation_revoke": _test(
        "accounts.tests.test_invitations",
        "test_outsider_cannot_withdraw_an_acme_invitation_by_posting_its_id",
    ),
    "api_keys": _test("accounts.tests.test_api_keys_page", "test_outsider_does_not_see_acme_keys"),
    "api_key_revoke": _test(
        "accounts.tests.test_api_keys_page", "test_outsider_cannot_revoke_an_acme_key_by_posting_its_id"
    ),
    "audit_log": _test("accounts.tests.test_audit_page", "test_outsider_sees_none_of_acmes_events"),
    # --- Web shell (cxloop/web/urls.py) ---
    "home": _test("web.tests.test_shell", "test_outsider_home_is_about_their_own_workspace"),
    "area_cases": _test("web.tests.test_shell", "test_outsider_area_pages_show_nothing_of_acme"),
    "area_journeys": _test("web.tests.test_shell", "test_outsider_area_pages_show_nothing_of_acme"),
    # --- Incoming webhooks and file imports (cxloop/feedback/urls.py, cxloop/feedback/api.py) ---
    # No API key and no workspace from the client: the secret token in the address selects the endpoint, and
    # with it the workspace; the signature (or shared secret) must match that endpoint's own secret.
    "POST /api/v1/hooks/{token}": _test(
        "feedback.tests.test_webhooks",
        "test_token_selects_the_workspace_and_another_workspaces_secret_does_not_verify",
    ),
    "webhooks": _test("feedback.tests.test_webhook_pages", "test_outsider_sees_only_their_own_endpoints"),
    "webhook_detail": _test(
        "feedback.tests.test_webhook_pages",
        "test_outsider_gets_404_for_acme_endpoint_and_cannot_change_its_mapping",
    ),
    "delivery_replay": _test(
        "feedback.tests.test_webhook_pages", "test_outsider_cannot_replay_acme_delivery_by_posting_its_id"
    ),
    "imports": _test("feedback.tests.test_import_pages", "test_outsider_sees_only_their_own_imports"),
    "import_detail": _test(
        "feedback.tests.test_import_pages", "test_outsider_gets_404_for_acme_import_and_cannot_start_it"
    ),
    "import_report": _test(
        "feedback.tests.test_import_pages", "test_outsider_cannot_download_acme_import_report"
    ),
    # --- Feedback store API and inbox (cxloop/feedback/api.py, cxloop/feedback/urls.py) ---
    # Another workspace's key or member uses Acme's ids; the tests compare Acme's store before and after.
    "GET /api/v1/feedback": _test(
        "feedback.tests.test_api_feedback", "test_other_workspace_list_never_contains_acme_items"
    ),
    # Semantic search: the index is per workspace and every id it proposes goes through the workspace's
    # store; another workspace's item id given as `like` is as unknown as a missing one (404).
    "GET /api/v1/feedback/search": _test(
        "analysis.tests.test_search", "test_other_workspace_never_finds_acme_items_by_meaning_or_by_id"
    ),
    "GET /api/v1/feedback/{int:item_id}": _test(
        "feedback.tests.test_api_feedback", "test_other_workspace_gets_404_for_an_acme_item"
    ),
    "DELETE /api/v1/feedback/{int:item_id}": _test(
        "feedback.tests.test_api_feedback", "test_other_workspace_gets_404_for_an_acme_item"
    ),
    "POST /api/v1/feedback": _test(
        "feedback.tests.test_api_feedback", "test_other_workspace_cannot_attach_feedback_to_an_acme_customer"
    ),
    "POST /api/v1/feedback/batch": _test(
        "feedback.tests.test_api_feedback", "test_other_workspace_cannot_attach_feedback_to_an_acme_customer"
    ),
    "inbox": _test("feedback.tests.test_inbox_page", "test_outsider_inbox_never_shows_acme_items"),
    "feedback_detail": _test("feedback.tests.test_inbox_page", "test_outsider_gets_404_for_an_acme_item"),
    # --- Customers and events API and pages (cxloop/customers/api.py, cxloop/customers/urls.py) ---
    "GET /api/v1/customers": _test(
        "customers.tests.test_api_customers",
        "test_other_workspace_customer_list_never_contains_acme_customers",
    ),
    "POST /api/v1/customers": _test(
        "customers.tests.test_api_customers", "test_other_workspace_gets_404_for_acme_customers"
    ),
    "GET /api/v1/customers/{int:customer_id}": _test(
        "customers.tests.test_api_customers", "test_other_workspace_gets_404_for_acme_customers"
    ),
    "DELETE /api/v1/customers/{int:customer_id}": _test(
        "customers.tests.test_api_customers", "test_other_workspace_gets_404_for_acme_customers"
    ),
    "POST /api/v1/customers/{int:customer_id}/merge": _test(
        "customers.tests.test_api_customers", "test_other_workspace_gets_404_for_acme_customers"
    ),
    "GET /api/v1/events": _test(
        "customers.tests.test_api_events", "test_other_workspace_event_list_never_contains_acme_events"
    ),
    "GET /api/v1/events/{int:event_id}": _test(
        "customers.tests.test_api_events", "test_other_workspace_cannot_read_or_erase_an_acme_event"
    ),
    "DELETE /api/v1/events/{int:event_id}": _test(
        "customers.tests.test_api_events", "test_other_workspace_cannot_read_or_erase_an_acme_event"
    ),
    "POST /api/v1/events": _test(
        "customers.tests.test_api_events", "test_other_workspace_cannot_record_events_for_an_acme_customer"
    ),
    "POST /api/v1/events/batch": _test(
        "customers.tests.test_api_events", "test_other_workspace_cannot_record_events_for_an_acme_customer"
    ),
    "customers": _test(
        "customers.tests.test_customer_pages", "test_outsider_customer_list_never_shows_acme_customers"
    ),
    "customer_detail": _test(
        "customers.tests.test_customer_pages", "test_outsider_gets_404_for_acme_customers"
    ),
    "customer_merge": _test(
        "customers.tests.test_customer_pages", "test_outsider_gets_404_for_acme_customers"
    ),
    "customer_export": _test(
        "customers.tests.test_customer_pages", "test_outsider_gets_404_for_acme_customers"
    ),
    "customer_erase": _test(
        "customers.tests.test_customer_pages", "test_outsider_gets_404_for_acme_customers"
    ),
    # --- Surveys (cxloop/surveys) ---
    "surveys": _test(
        "surveys.tests.test_survey_pages", "test_outsider_cannot_see_publish_close_or_export_acme_surveys"
    ),
    "survey_new": _test(
        "surveys.tests.test_survey_pages", "test_outsider_imports_and_creates_only_in_their_own_workspace"
    ),
    "survey_import": _test(
        "surveys.tests.test_survey_pages", "test_outsider_imports_and_creates_only_in_their_own_workspace"
    ),
    "survey_detail": _test(
        "surveys.tests.test_survey_pages", "test_outsider_cannot_see_publish_close_or_export_acme_surveys"
    ),
    "survey_publish": _test(
        "surveys.tests.test_survey_pages", "test_outsider_cannot_see_publish_close_or_export_acme_surveys"
    ),
    "survey_close": _test(
        "surveys.tests.test_survey_pages", "test_outsider_cannot_see_publish_close_or_export_acme_surveys"
    ),
    "survey_export": _test(
        "surveys.tests.test_survey_pages", "test_outsider_cannot_see_publish_close_or_export_acme_surveys"
    ),
    # The builder (surveys/builder_views.py): Acme's survey ids answer the outsider 404, nothing changes.
    "survey_edit": _test(
        "surveys.tests.test_builder_pages", "test_outsider_cannot_open_or_change_acme_surveys_in_the_builder"
    ),
    "survey_edit_json": _test(
        "surveys.tests.test_builder_pages", "test_outsider_cannot_open_or_change_acme_surveys_in_the_builder"
    ),
    "survey_edit_preview": _test(
        "surveys.tests.test_builder_pages", "test_outsider_cannot_open_or_change_acme_surveys_in_the_builder"
    ),
    # Public pages: the live survey's slug is the capability; drafts are not served, previews need membership.
    "survey_start": _test("surveys.tests.test_survey_pages", "test_outsider_cannot_preview_an_acme_draft"),
    "survey_resume": _test(
        "surveys.tests.test_public_flow", "test_a_response_token_only_works_with_its_own_survey"
    ),
    "survey_theme": NO_WORKSPACE_DATA + "a live survey's brand colour, public like the survey page itself",
    "GET /api/v1/surveys": _test(
        "surveys.tests.test_api_surveys", "test_outsider_key_sees_no_acme_survey_and_cannot_answer_it"
    ),
    "GET /api/v1/surveys/{int:survey_id}": _test(
        "surveys.tests.test_api_surveys", "test_outsider_key_sees_no_acme_survey_and_cannot_answer_it"
    ),
    "POST /api/v1/surveys/{int:survey_id}/responses": _test(
        "surveys.tests.test_api_surveys", "test_outsider_key_sees_no_acme_survey_and_cannot_answer_it"
    ),
    # --- Survey results, exports and read-only links (cxloop/surveys/results_views.py) ---
    "survey_results": _test("surveys.tests.test_results_page", "test_outsider_gets_nothing_of_acme_results"),
    "survey_results_csv": _test(
        "surveys.tests.test_results_page", "test_outsider_gets_nothing_of_acme_results"
    ),
    "survey_results_xlsx": _test(
        "surveys.tests.test_results_page", "test_outsider_gets_nothing_of_acme_results"
    ),
    "survey_results_pdf": _test(
        "surveys.tests.test_results_page", "test_outsider_gets_nothing_of_acme_results"
    ),
    "survey_results_share": _test(
        "surveys.tests.test_results_page", "test_outsider_gets_nothing_of_acme_results"
    ),
    "survey_results_share_revoke": _test(
        "surveys.tests.test_results_share", "test_a_link_is_bound_to_its_own_survey"
    ),
    # Public: the link's token (only its sha256 stored) is the capability; it selects one survey.
    "results_shared": _test("surveys.tests.test_results_share", "test_a_link_is_bound_to_its_own_survey"),
    # --- Website widget (cxloop/widget) ---
    "widget_js": NO_WORKSPACE_DATA + "the widget's script, the same file for every site",
    "widget_config": _test(
        "widget.tests.test_widget",
        "test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget",
    ),
    "widget_start": _test(
        "widget.tests.test_widget",
        "test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget",
    ),
    "widget_answer": _test(
        "widget.tests.test_widget",
        "test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget",
    ),
    "widget_settings": _test(
        "widget.tests.test_widget",
        "test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget",
    ),
    "widget_placement": _test(
        "widget.tests.test_widget",
        "test_outsider_cannot_place_acme_surveys_or_answer_them_through_their_own_widget",
    ),
    # --- Survey outreach: invitations, campaigns, QR codes (cxloop/outreach) ---
    "survey_invite": _test(
        "outreach.tests.test_outreach_pages",
        "test_outsider_cannot_invite_to_or_see_campaigns_of_acme_surveys",
    ),
    "outreach_campaign": _test(
        "outreach.tests.test_outreach_pages",
        "test_outsider_cannot_invite_to_or_see_campaigns_of_acme_surveys",
    ),
    "survey_qr_svg": _test("outreach.tests.test_qr", "test_outsider_gets_no_qr_code_of_an_acme_survey"),
    "survey_qr_png": _test("outreach.tests.test_qr", "test_outsider_gets_no_qr_code_of_an_acme_survey"),
    "outreach_settings": _test(
        "outreach.tests.test_outreach_pages", "test_outsider_changes_only_their_own_cooldown"
    ),
    # Public: the invitation token (only its hash stored) and the signed unsubscribe token are capabilities.
    "survey_invitation": _test(
        "outreach.tests.test_outreach_pages", "test_an_acme_invitation_token_opens_nothing_on_another_survey"
    ),
    "outreach_unsubscribe": _test(
        "outreach.tests.test_outreach_pages",
        "test_an_unsubscribe_link_only_unsubscribes_the_customer_it_was_signed_for",
    ),
    "POST /api/v1/outreach/bounces": _test(
        "outreach.tests.test_outreach_pages", "test_outsider_bounce_reports_touch_only_their_own_workspace"
    ),
    # --- Analytics (cxloop/analysis) ---
    "analytics": _test("analysis.tests.test_themes", "test_outsider_never_sees_or_changes_acme_themes"),
    "taxonomy_template": _test(
        "analysis.tests.test_themes", "test_outsider_never_sees_or_changes_acme_themes"
    ),
    "theme_new": _test("analysis.tests.test_themes", "test_outsider_never_sees_or_changes_acme_themes"),
    "theme_edit": _test("analysis.tests.test_themes", "test_outsider_never_sees_or_changes_acme_themes"),
    "theme_delete": _test("analysis.tests.test_themes", "test_outsider_never_sees_or_changes_acme_themes"),
    "theme_mentions": _test(
        "analysis.tests.test_theme_pages", "test_outsider_sees_nothing_of_acme_theme_figures_or_verbatims"
    ),
    "theme_progress": _test(
        "analysis.tests.test_theme_pages", "test_outsider_sees_nothing_of_acme_theme_figures_or_verbatims"
    ),
    "theme_reread": _test(
        "analysis.tests.test_theme_pages", "test_outsider_sees_nothing_of_acme_theme_figures_or_verbatims"
    ),
    # Analysts' corrections of an item's themes (analysis/views_corrections.py, feedback/api.py):
    # Acme's item and theme ids, alone or mixed with the outsider's own, answer 404 and no mention changes.
    "text_lab": _test("analysis.tests.test_lab", "test_outsider_reads_with_their_own_taxonomy_only"),
    "item_themes": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    "item_theme_add": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    "item_theme_decide": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    "item_theme_relabel": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    "POST /api/v1/feedback/{int:item_id}/themes": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    "POST /api/v1/feedback/{int:item_id}/themes/{int:theme_id}/decision": _test(
        "analysis.tests.test_corrections", "test_outsider_cannot_see_or_correct_acme_themes"
    ),
    # Emerging themes (analysis/views_emerging.py): the outsider's page shows none of Acme's proposals, Acme's
    # proposal ids answer 404 to adopt and dismiss, "look now" looks in their own workspace only, and an
    # Acme theme cannot be the parent of their adoption; Acme's proposals, themes and runs stay as they were.
    "emerging_themes": _test(
        "analysis.tests.test_emerging", "test_outsider_sees_and_changes_nothing_of_acme_emerging_themes"
    ),
    "emerging_look": _test(
        "analysis.tests.test_emerging", "test_outsider_sees_and_changes_nothing_of_acme_emerging_themes"
    ),
    "emerging_adopt": _test(
        "analysis.tests.test_emerging", "test_outsider_sees_and_changes_nothing_of_acme_emerging_themes"
    ),
    "emerging_dismiss": _test(
        "analysis.tests.test_emerging", "test_outsider_sees_and_changes_nothing_of_acme_emerging_themes"
    ),
    # Intents (analysis/views_intents.py, analysis/api.py): the outsider's page, API list and predictions show
    # none of Acme's intents or examples; Acme's intent, example and item ids answer 404; their imports,
    # trainings and corrections change their own workspace only; Acme's intents, examples, readings and
    # model stay as they were.
    "intents": _test("analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"),
    "intent_new": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intents_import": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intents_train": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intent_detail": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intent_edit": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intent_delete": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intent_examples_add": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "intent_example_delete": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "item_intent": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "item_intent_set": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "GET /api/v1/intents": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "POST /api/v1/intents/examples": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    "POST /api/v1/intents/predict": _test(
        "analysis.tests.test_intents", "test_outsider_sees_and_changes_nothing_of_acme_intents"
    ),
    # --- Metrics API (cxloop/metrics/api.py): the workspace comes from the key; filters never widen it ---
    "GET /api/v1/targets": _test(
        "metrics.tests.test_targets", "test_api_keys_of_another_workspace_see_and_change_nothing"
    ),
    "POST /api/v1/targets": _test(
        "metrics.tests.test_targets", "test_api_keys_of_another_workspace_see_and_change_nothing"
    ),
    "PUT /api/v1/targets/{int:target_id}": _test(
        "metrics.tests.test_targets", "test_api_keys_of_another_workspace_see_and_change_nothing"
    ),
    "DELETE /api/v1/targets/{int:target_id}": _test(
        "metrics.tests.test_targets", "test_api_keys_of_another_workspace_see_and_change_nothing"
    ),
    "targets": _test("metrics.tests.test_targets", "test_outsider_sees_and_removes_none_of_acme_targets"),
    "target_delete": _test(
        "metrics.tests.test_targets", "test_outsider_sees_and_removes_none_of_acme_targets"
    ),
    "GET /api/v1/metrics/distribution": _test(
        "metrics.tests.test_compare", "test_distribution_of_scores_and_choices"
    ),
    "GET /api/v1/metrics/changes": _test("metrics.tests.test_compare", "test_api_changes_and_then_by"),
    "GET /api/v1/metrics": _test(
        "metrics.tests.test_engine", "test_other_workspaces_rows_never_count_even_with_acme_theme_ids"
    ),
    # Key drivers (metrics/api_drivers.py, metrics/views_drivers.py): another workspace's key or member gets
    # its own (empty) analysis, whatever Acme theme ids it filters by
    "GET /api/v1/drivers": _test(
        "metrics.tests.test_drivers_api_page", "test_other_workspace_never_sees_acme_drivers"
    ),
    "drivers": _test("metrics.tests.test_drivers_api_page", "test_other_workspace_never_sees_acme_drivers"),
    # Dashboards › Explorer (metrics/views_explorer.py): the page and its CSV/XLSX show the member's own
    # workspace only, whatever Acme theme ids or values are put in the query
    "explorer": _test(
        "metrics.tests.test_explorer", "test_outsider_sees_none_of_acme_figures_page_or_export"
    ),
    "explorer_export": _test(
        "metrics.tests.test_explorer", "test_outsider_sees_none_of_acme_figures_page_or_export"
    ),
    # Dashboards › Overview (metrics/views.py): every figure, link and verbatim is the member's own
    # workspace's; Acme's filter values in the query change nothing
    "dashboards": _test("metrics.tests.test_overview", "test_outsider_sees_none_of_acmes_numbers"),
    # Dashboards › Alerts and Reports (metrics/views_alerts.py): lists, checks, sends, PDFs and removals
    # look ids up in the member's own workspace only (another's id is a 404)
    "alerts": _test("metrics.tests.test_alerts", "test_outsider_sees_checks_and_removes_none_of_acme_alerts"),
    "alert_toggle": _test(
        "metrics.tests.test_alerts", "test_outsider_sees_checks_and_removes_none_of_acme_alerts"
    ),
    "alert_check": _test(
        "metrics.tests.test_alerts", "test_outsider_sees_checks_and_removes_none_of_acme_alerts"
    ),
    "alert_delete": _test(
        "metrics.tests.test_alerts", "test_outsider_sees_checks_and_removes_none_of_acme_alerts"
    ),
    "reports": _test(
        "metrics.tests.test_reports", "test_outsider_sees_sends_and_removes_none_of_acme_reports"
    ),
    "report_send": _test(
        "metrics.tests.test_reports", "test_outsider_sees_sends_and_removes_none_of_acme_reports"
    ),
    "report_pdf": _test(
        "metrics.tests.test_reports", "test_outsider_sees_sends_and_removes_none_of_acme_reports"
    ),
    "report_delete": _test(
        "metrics.tests.test_reports", "test_outsider_sees_sends_and_removes_none_of_acme_reports"
    ),
    # /api/v1/alerts and /reports (metrics/api_alerts.py): the workspace is the key's; another's ids 404
    "GET /api/v1/alerts": _test(
        "metrics.tests.test_alerts", "test_api_keys_of_another_workspace_see_and_change_no_alert"
    ),
    "POST /api/v1/alerts": _test(
        "metrics.tests.test_alerts", "test_api_keys_of_another_workspace_see_and_change_no_alert"
    ),
    "PUT /api/v1/alerts/{int:alert_id}": _test(
        "metrics.tests.test_alerts", "test_api_keys_of_another_workspace_see_and_change_no_alert"
    ),
    "DELETE /api/v1/alerts/{int:alert_id}": _test(
        "metrics.tests.test_alerts", "test_api_keys_of_another_workspace_see_and_change_no_alert"
    ),
    "POST /api/v1/alerts/{int:alert_id}/check": _test(
        "metrics.tests.test_alerts", "test_api_keys_of_another_workspace_see_and_change_no_alert"
    ),
    "GET /api/v1/reports": _test(
        "metrics.tests.test_reports", "test_api_keys_of_another_workspace_see_and_change_no_report"
    ),
    "POST /api/v1/reports": _test(
        "metrics.tests.test_reports", "test_api_keys_of_another_workspace_see_and_change_no_report"
    ),
    "DELETE /api/v1/reports/{int:report_id}": _test(
        "metrics.tests.test_reports", "test_api_keys_of_another_workspace_see_and_change_no_report"
    ),
    # Dashboards › Your dashboards (cxloop/boards): dashboards are looked up in the member's own workspace
    # (private ones only for their creator); another workspace's dashboard or widget id is a 404
    "boards": _test("boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"),
    "board_new": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_from_template": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_save_widget": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_detail": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_edit": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_delete": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_widget_add": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_widget_remove": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    "board_widget_move": _test(
        "boards.tests.test_pages", "test_outsider_sees_and_changes_nothing_of_acme_dashboards"
    ),
    # Notifications (cxloop/notifications): only the member's own, in the current workspace
    "notifications": _test(
        "notifications.tests.test_notifications", "test_outsider_sees_and_marks_none_of_acme_notifications"
    ),
    "notification_read": _test(
        "notifications.tests.test_notifications", "test_outsider_sees_and_marks_none_of_acme_notifications"
    ),
}
