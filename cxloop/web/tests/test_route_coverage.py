"""Every route of the product is listed in the isolation registry, with a test that exists.

A page or API operation added without an entry in cxloop/core/tests/isolation_registry.py fails here, naming
the route: whoever adds it also adds (or names) the test that an outsider cannot reach another workspace's
data through it.
"""

from __future__ import annotations

import importlib
import sys
import types

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from ninja import NinjaAPI
from ninja.utils import normalize_path, replace_path_param_notation

from cxloop.core.tests.isolation_registry import ISOLATION_TESTED, NO_WORKSPACE_DATA

SKIPPED_PREFIXES = ("static/", "media/")  # files, not pages


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace, pattern


def _api_mount(api, urlconf) -> str:
    """Where the API's URLs are included, e.g. 'api/v1/'."""
    for pattern in get_resolver(urlconf).url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == api.urls_namespace:
            return str(pattern.pattern)
    raise AssertionError(f"the API namespace {api.urls_namespace!r} is not included in the URLs")


def api_operations(api=None, urlconf=None) -> dict[str, str]:
    """{"METHOD /api/v1/path": its Django route} for every operation of every router mounted on the API."""
    if api is None:
        from cxloop.api import api
    api.urls  # noqa: B018 - binding the routers fills api._routers with every mounted router, nested too
    mount = _api_mount(api, urlconf)
    found = {}
    for prefix, router in api._routers:
        for op_path, path_view in router.path_operations.items():
            api_path = normalize_path("/".join(("", mount, prefix, op_path)))
            route = mount + replace_path_param_notation(normalize_path("/".join((prefix, op_path)))).lstrip(
                "/"
            )
            for operation in path_view.operations:
                for method in operation.methods:
                    found[f"{method} {api_path}"] = route
    return found


def page_routes(api=None, urlconf=None) -> dict[str, str]:
    """{"url name": its route} for every URL pattern, except API operations (listed by method and path)."""
    operation_routes = set(api_operations(api, urlconf).values())
    found = {}
    for route, namespace, pattern in _walk(get_resolver(urlconf).url_patterns):
        if route.startswith(SKIPPED_PREFIXES) or route in operation_routes:
            continue
        name = pattern.name or route
        found[f"{namespace}:{name}" if namespace else name] = route
    return found


def all_routes(api=None, urlconf=None) -> dict[str, str]:
    return {**page_routes(api, urlconf), **api_operations(api, urlconf)}


def missing_from(registry: dict, api=None, urlconf=None) -> list[str]:
    return sorted(
        f"{key}  ({route})" for key, route in all_routes(api, urlconf).items() if key not in registry
    )


# --- The checks --------------------------------------------------------------------------------
def test_every_route_is_in_the_isolation_registry():
    missing = missing_from(ISOLATION_TESTED)
    assert not missing, (
        "These routes have no entry in ISOLATION_TESTED (cxloop/core/tests/isolation_registry.py). Add each "
        "with the test that proves another workspace's member cannot see or change this workspace's data "
        "through it, or with 'no workspace data: <why>':\n  " + "\n  ".join(missing)
    )


def test_registry_lists_no_route_that_is_gone():
    stale = sorted(set(ISOLATION_TESTED) - set(all_routes()))
    assert not stale, f"ISOLATION_TESTED lists routes that no longer exist: {stale}"


@pytest.mark.parametrize("route", sorted(ISOLATION_TESTED))
def test_registry_entry_names_a_test_that_exists_or_a_reason(route):
    entry = ISOLATION_TESTED[route]
    if entry.startswith(NO_WORKSPACE_DATA):
        assert len(entry) > len(NO_WORKSPACE_DATA) + 10, f"{route}: say why it touches no workspace data"
        return
    module_name, sep, test_name = entry.partition("::")
    assert sep and module_name and test_name, f"{route}: {entry!r} is not 'dotted.module::test_name'"
    assert module_name.rsplit(".", 1)[-1].startswith("test_"), f"{route}: {module_name} is not a test module"
    module = importlib.import_module(module_name)
    test = getattr(module, test_name, None)
    assert test_name.startswith("test_") and callable(test), f"{route}: {module_name} has no test {test_name}"


def test_api_operations_are_found_among_the_url_patterns():
    """Guards the enumeration itself: each operation read from django-ninja is a real URL route."""
    routes = {route for route, _, _ in _walk(get_resolver().url_patterns)}
    operations = api_operations()
    assert "GET /api/v1/health" in operations
    assert "GET /api/v1/me" in operations
    assert set(operations.values()) <= routes


def test_a_new_page_or_operation_without_an_entry_is_reported():
    probe = NinjaAPI(urls_namespace="probe")

    @probe.post("/things/{thing_id}/archive")
    def archive(request, thing_id: int):
        return {}

    urlconf = types.ModuleType("probe_urls")
    urlconf.urlpatterns = [
        path("probe/v1/", probe.urls),
        path("reports/<int:report_id>/", lambda request, report_id: None, name="report_detail"),
        path("", include("cxloop.urls")),
    ]
    sys.modules[urlconf.__name__] = urlconf
    try:
        missing = missing_from(ISOLATION_TESTED, api=probe, urlconf=urlconf)
    finally:
        del sys.modules[urlconf.__name__]

    assert "report_detail  (reports/<int:report_id>/)" in missing
    assert "POST /probe/v1/things/{thing_id}/archive  (probe/v1/things/<thing_id>/archive)" in missing
