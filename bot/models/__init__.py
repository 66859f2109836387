"""All models, imported here so Alembic and the app see one metadata."""

from .base import Base, UTCDateTime, utcnow
from .meeting import Attendance, LeaveRequest, Meeting, MinutesMedia
from .member import BindCode, Member, MobileRegistration, RoleGrant
from .org import Branch, Committee, PartyGroup, SocialOrg
from .outbox import Notification

__all__ = [
    "Attendance",
    "Base",
    "BindCode",
    "Branch",
    "Committee",
    "LeaveRequest",
    "Meeting",
    "Member",
    "MinutesMedia",
    "MobileRegistration",
    "Notification",
    "PartyGroup",
    "RoleGrant",
    "SocialOrg",
    "UTCDateTime",
    "utcnow",
]
