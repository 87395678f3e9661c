"""Re-planning during a term: pins every solve keeps (:mod:`~scheduler.replan.pins`) and a
new timetable kept close to the previous one (:mod:`~scheduler.replan.previous`)."""
