"""All models, imported here so Alembic and the app see one metadata."""

from .base import Base, UTCDateTime, utcnow
from .inspection import AnnualInspection
from .meeting import Attendance, LeaveRequest, Meeting, MinutesMedia
from .member import BindCode, Member, MobileRegistration, RoleGrant
from .notify import SubscribeConsent
from .org import Branch, Committee, PartyGroup, SocialOrg
from .outbox import Notification
from .rectification import RectificationItem
from .review import ReviewRound, ReviewSubmission
from .volunteer import VolunteerRecord

__all__ = [
    "AnnualInspection",
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
    "RectificationItem",
    "ReviewRound",
    "ReviewSubmission",
    "RoleGrant",
    "SocialOrg",
    "SubscribeConsent",
    "UTCDateTime",
    "VolunteerRecord",
    "utcnow",
]
