"""flytekit.extras, for code whose imports were swapped: `flytekit.extras.tasks.shell` is hpcflow.extras.tasks.shell."""
