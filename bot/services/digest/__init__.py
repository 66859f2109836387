"""The weekly digest (党建周报): a committee's figures for the week, and who receives it when (the admin
pages' issue shows the same figures)."""
