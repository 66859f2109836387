"""年检: each social organization's annual inspection report, filed with its supervisor (业务主管单位) and
its registrar (登记管理机关). years: opening a year's rows (the season of year Y starts on 1 January of Y + 1);
filing: recording filings and results (a 基本合格 / 不合格 becomes one ledger item), the status read from the
facts, the committee's 参检率 / 合格率 and 换届 flags; draft: the party-work section (党建工作情况) drafted from
the records; reminders: what is due before the deadlines and for 换届."""
