"""述职评议: rounds of secretaries' reports to their committee; what is due before a round's deadline
(its issue adds submitting, grading and the rest)."""
