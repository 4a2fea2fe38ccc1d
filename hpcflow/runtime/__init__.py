"""Execution: in-process runs, the run directory, and the per-element entry point."""
