"""Who may see and change whom. Every rule reads the viewer's *current* grants.

Visibility: staff data is for staff viewers only. A staff member sees themself; anyone else
is visible to an admin over an org where that person holds an active membership, and to the
system admin. Lookups by id answer NOT_FOUND for what the viewer may not see (so existence is
not revealed); lists and mutations on a visible target answer FORBIDDEN.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.auth.viewer import Viewer
from hub.errors import Forbidden, NotFound, Unauthenticated
from hub.models.enums import Role

ADMIN = Role.ADMIN.value


def require_signed_in(viewer: Viewer) -> int:
    if viewer.staff_id is None:
        raise Unauthenticated("Sign in first.", reason="SIGN_IN_REQUIRED")
    return viewer.staff_id


def require_staff(viewer: Viewer) -> int:
    """Signed in and holding an active membership (or the system admin flag)."""
    staff_id = require_signed_in(viewer)
    if not viewer.is_staff:
        raise Forbidden("Only staff with an active membership may do this.")
    return staff_id


def can_view_staff(viewer: Viewer, staff_id: int, active_org_paths: Iterable[str]) -> bool:
    if viewer.staff_id is None:
        return False
    if viewer.staff_id == staff_id or viewer.is_system_admin:
        return True
    return any(viewer.has_role_over(ADMIN, path) for path in active_org_paths)


def can_view_membership(viewer: Viewer, member_id: int, org_path: str) -> bool:
    """The member, an admin over the membership's org, or the system admin."""
    if viewer.staff_id is None:
        return False
    return viewer.staff_id == member_id or viewer.has_role_over(ADMIN, org_path)


def require_visible_staff(
    viewer: Viewer, staff_id: int, active_org_paths: Iterable[str], global_id: str
) -> None:
    if not can_view_staff(viewer, staff_id, active_org_paths):
        raise NotFound(f"No staff member with id {global_id!r}.")


def require_admin_over(viewer: Viewer, org_path: str, org_name: str) -> None:
    if not viewer.has_role_over(ADMIN, org_path):
        raise Forbidden(f"You are not an administrator of {org_name} or any org above it.")


def require_not_self(viewer: Viewer, staff_id: int) -> None:
    if viewer.staff_id == staff_id:
        raise Forbidden("Nobody may change their own memberships or status; ask another admin.")


def require_can_grant(viewer: Viewer, roles: Iterable[str], org_path: str, org_name: str) -> None:
    """Nobody grants a role they do not hold over that org themselves."""
    if viewer.is_system_admin:
        return
    missing = sorted(set(roles) - viewer.roles_over(org_path))
    if missing:
        raise Forbidden(
            f"You cannot grant {', '.join(missing)} in {org_name}: you do not hold it there."
        )
