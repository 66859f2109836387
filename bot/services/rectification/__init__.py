"""整改台账: problems found by a review, an inspection or a visit, closed one by one; what is due before
and after an item's deadline (its issue adds the rest)."""
