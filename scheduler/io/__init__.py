"""Readers and writers of branch instances (CSV folder, xlsx workbook, YAML, JSON)."""

from scheduler.io.read import load_instance
from scheduler.io.tables import instance_to_tables, write_instance

__all__ = ["instance_to_tables", "load_instance", "write_instance"]
