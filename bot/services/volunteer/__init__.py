"""志愿服务: members' volunteer records, confirmed by the activity's leader; what is due for the leaders
(its issue adds recording and confirming)."""
