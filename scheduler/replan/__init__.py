"""Re-planning a published term timetable: cover for an absent ALT (:mod:`.cover`)."""
