"""All models, imported here so Alembic and the app see one metadata."""

from bot.models.attachment import Attachment
from bot.models.base import Base, UTCDateTime, utcnow
from bot.models.inspection import AnnualInspection
from bot.models.meeting import Attendance, LeaveRequest, Meeting, MinutesMedia
from bot.models.member import BindCode, Member, MobileRegistration, RoleGrant
from bot.models.notify import SubscribeConsent
from bot.models.org import Branch, Committee, PartyGroup, SocialOrg
from bot.models.outbox import Notification
from bot.models.rectification import RectificationItem
from bot.models.review import ReviewGrade, ReviewReviewer, ReviewRound, ReviewSubmission
from bot.models.volunteer import (
    VolunteerActivity,
    VolunteerCertificate,
    VolunteerRecord,
    VolunteerTeam,
    VolunteerTeamLeader,
)

__all__ = [
    "AnnualInspection",
    "Attachment",
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
    "ReviewGrade",
    "ReviewReviewer",
    "ReviewRound",
    "ReviewSubmission",
    "RoleGrant",
    "SocialOrg",
    "SubscribeConsent",
    "UTCDateTime",
    "VolunteerActivity",
    "VolunteerCertificate",
    "VolunteerRecord",
    "VolunteerTeam",
    "VolunteerTeamLeader",
    "utcnow",
]
