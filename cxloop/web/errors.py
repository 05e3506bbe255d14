from django.shortcuts import render


def forbidden(request, exception=None):
    return render(request, "web/forbidden.html", status=403)


def not_found(request, exception=None):
    return render(request, "web/not_found.html", status=404)


def server_error(request):
    return render(request, "web/server_error.html", status=500)
