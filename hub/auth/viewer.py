"""The viewer of a request: anonymous, or a staff member with the grants of their *active*
memberships, re-read on every request so that ended memberships grant nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class OrgGrant:
    """What one active membership gives: roles over an org and its whole subtree."""

    membership_id: int
    org_id: int
    org_path: str
    post_type: str
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Viewer:
    staff_id: int | None = None
    session_id: str | None = None
    is_system_admin: bool = False
    grants: tuple[OrgGrant, ...] = ()
    staff_version: int = 0
    # a reset password: until the person chooses a new one, only changePassword is allowed
    must_change_password: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.staff_id is None

    @property
    def is_staff(self) -> bool:
        """Signed in and holding at least one active membership (or the system admin flag)."""
        return self.staff_id is not None and (self.is_system_admin or bool(self.grants))

    def has_role_over(self, role: str, org_path: str) -> bool:
        """True when an active membership with ``role`` sits at or above ``org_path``."""
        if self.is_system_admin:
            return True
        return any(role in g.roles and org_path.startswith(g.org_path) for g in self.grants)

    def has_role_over_any(self, role: str, org_paths: tuple[str, ...] | list[str]) -> bool:
        return any(self.has_role_over(role, path) for path in org_paths)

    def role_paths(self, role: str) -> tuple[str, ...]:
        """Org paths under which the viewer holds ``role``; ``("/",)`` for the system admin."""
        if self.is_system_admin:
            return ("/",)
        return tuple(g.org_path for g in self.grants if role in g.roles)

    def roles_over(self, org_path: str) -> frozenset[str]:
        """Every role the viewer holds over ``org_path`` through any of its ancestors."""
        held: set[str] = set()
        for g in self.grants:
            if org_path.startswith(g.org_path):
                held |= g.roles
        return frozenset(held)


ANONYMOUS = Viewer()
