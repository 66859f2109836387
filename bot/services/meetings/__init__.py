"""三会一课: scheduling, check-in, attendance, leave, minutes, rotating QR, compliance."""
