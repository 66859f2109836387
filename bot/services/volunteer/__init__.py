"""志愿服务: members log their service (records), a team leader or the branch secretary confirms or returns it,
公示 follows (publicity: days or Chinese working days) before a record is final, anyone of the branch may object
during 公示; teams and activities (teams); totals for a branch or committee and the 年检 helper branch_hours
(totals); the export in 民政部's fields and volunteer numbers (exports); numbered certificates (certificates);
what is due for the confirmers and the members (reminders)."""
