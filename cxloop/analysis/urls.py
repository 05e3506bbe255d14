from django.urls import path

from . import views, views_corrections, views_emerging, views_intents, views_lab

urlpatterns = [
    path("analytics/", views.themes, name="analytics"),
    path("analytics/themes/template/", views.taxonomy_template, name="taxonomy_template"),
    path("analytics/themes/new/", views.theme_edit, name="theme_new"),
    path("analytics/themes/<int:theme_id>/", views.theme_edit, name="theme_edit"),
    path("analytics/themes/<int:theme_id>/delete/", views.theme_delete, name="theme_delete"),
    # what the texts say about each theme (views.py): drill-down, and reading again after a change
    path("analytics/themes/<int:theme_id>/mentions/", views.theme_mentions, name="theme_mentions"),
    path("analytics/themes/progress/", views.theme_progress, name="theme_progress"),
    path("analytics/themes/reread/", views.theme_reread, name="theme_reread"),
    # analysts' corrections of an item's themes, in the Inbox drawer (views_corrections.py)
    path("inbox/<int:item_id>/themes/", views_corrections.item_themes, name="item_themes"),
    path("inbox/<int:item_id>/themes/add/", views_corrections.item_theme_add, name="item_theme_add"),
    path(
        "inbox/<int:item_id>/themes/<int:theme_id>/decide/",
        views_corrections.item_theme_decide,
        name="item_theme_decide",
    ),
    path(
        "inbox/<int:item_id>/themes/<int:theme_id>/relabel/",
        views_corrections.item_theme_relabel,
        name="item_theme_relabel",
    ),
    # paste a text, see every label (views_lab.py)
    path("analytics/lab/", views_lab.text_lab, name="text_lab"),
]

# Analytics › Emerging themes (views_emerging.py): groups of texts that fit no theme, proposed as themes
urlpatterns += [
    path("analytics/emerging/", views_emerging.emerging_themes, name="emerging_themes"),
    path("analytics/emerging/look/", views_emerging.emerging_look, name="emerging_look"),
    path("analytics/emerging/<int:emerging_id>/adopt/", views_emerging.emerging_adopt, name="emerging_adopt"),
    path(
        "analytics/emerging/<int:emerging_id>/dismiss/",
        views_emerging.emerging_dismiss,
        name="emerging_dismiss",
    ),
]

# Analytics › Intents (views_intents.py): intents of support texts, learnt from the workspace's examples

urlpatterns += [
    path("analytics/intents/", views_intents.intents_page, name="intents"),
    path("analytics/intents/new/", views_intents.intent_new, name="intent_new"),
    path("analytics/intents/import/", views_intents.intents_import, name="intents_import"),
    path("analytics/intents/train/", views_intents.intents_train, name="intents_train"),
    path("analytics/intents/<int:intent_id>/", views_intents.intent_detail, name="intent_detail"),
    path("analytics/intents/<int:intent_id>/edit/", views_intents.intent_edit, name="intent_edit"),
    path("analytics/intents/<int:intent_id>/delete/", views_intents.intent_delete, name="intent_delete"),
    path(
        "analytics/intents/<int:intent_id>/examples/",
        views_intents.intent_examples_add,
        name="intent_examples_add",
    ),
    path(
        "analytics/intents/examples/<int:example_id>/delete/",
        views_intents.intent_example_delete,
        name="intent_example_delete",
    ),
    # the intent of an item in the Inbox drawer, corrected by analysts
    path("inbox/<int:item_id>/intent/", views_intents.item_intent, name="item_intent"),
    path("inbox/<int:item_id>/intent/set/", views_intents.item_intent_set, name="item_intent_set"),
]
