from django.utils.functional import SimpleLazyObject

from .roles import Perm, has_perm
from .selectors import memberships_for_user


def workspace(request):
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    user = getattr(request, "user", None)
    return {
        "current_workspace": getattr(request, "workspace", None),
        "current_role": role,
        "can": {perm: has_perm(role, perm) for perm in Perm.values},
        "my_memberships": SimpleLazyObject(
            lambda: list(memberships_for_user(user)) if user is not None and user.is_authenticated else []
        ),
    }
