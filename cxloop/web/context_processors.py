from .areas import AREAS


def navigation(request):
    # The first path segment names the area a page belongs to (/inbox/12/ is in Inbox).
    return {"nav_areas": AREAS, "current_section": request.path.strip("/").split("/", 1)[0]}
