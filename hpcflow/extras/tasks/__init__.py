"""flytekit.extras.tasks, for code whose imports were swapped."""
