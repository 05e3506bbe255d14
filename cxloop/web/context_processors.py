from .areas import AREAS


def navigation(request):
    return {"nav_areas": AREAS}
