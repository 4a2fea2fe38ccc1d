"""The user-facing programming model: task, workflow, dynamic, map_task, Resources."""
