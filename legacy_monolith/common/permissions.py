from rest_framework import permissions


class IsStaffOrReadOnly(permissions.BasePermission):
    """Anyone may read; only staff may write."""

    message = "Only staff may change this."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_staff)


class IsStaff(permissions.BasePermission):
    message = "Only staff may do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsOwnerOrStaff(permissions.BasePermission):
    """Object-level: the owner (``obj.<owner_field>`` is the user's customer) or staff."""

    message = "You do not own this."

    def has_object_permission(self, request, view, obj):
        if request.user.is_staff:
            return True
        return owner_user_id(obj) == request.user.id


def owner_user_id(obj) -> int | None:
    """Walk the usual paths to the owning user (customer.user, order.customer.user, ...)."""
    for path in ("customer", "order.customer", "author"):
        target = obj
        for part in path.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if target is not None:
            return target.user_id
    return None
