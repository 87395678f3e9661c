"""ALT timetabler: assign Assistant Language Teachers to classes with CP-SAT."""

__version__ = "0.1.0"
