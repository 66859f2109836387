"""年检: each social organization's annual inspection report, filed with its supervisor (业务主管单位) and
its registrar (登记管理机关); opening a year's rows and what is due before the deadlines (its issue adds
filing and the results)."""
