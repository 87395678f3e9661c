"""Re-planning during a term: pins every solve keeps (:mod:`.pins`), a new timetable kept
close to the previous one (:mod:`.previous`) and cover for an absent ALT (:mod:`.cover`)."""
