"""述职评议: rounds of secretaries' reports to their committee. rounds (open, close, results, final_grade_of),
submissions (the secretary's draft, submit, withdraw; an admin's return), grading (reviewers' grades and the
problems that become 整改台账 items), reminders (what is due before a round's deadline)."""
