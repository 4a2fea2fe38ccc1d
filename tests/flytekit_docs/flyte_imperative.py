"""The imperative workflow, as in the guide.

Source: flytesnacks examples/basics/basics/imperative_workflow.py, with the `slope` and
`intercept` tasks it imports from examples/basics/basics/workflow.py (Apache-2.0,
https://github.com/flyteorg/flytesnacks, commit c9b2c44). Adaptation: the two tasks are in this
file instead of `from .workflow import intercept, slope`, and the import line is hpcflow's.
"""
from hpcflow import Workflow, task


# Define`slope` and `intercept` tasks to compute the slope and
# intercept of the regression line, respectively
@task
def slope(x: list[int], y: list[int]) -> float:
    sum_xy = sum([x[i] * y[i] for i in range(len(x))])
    sum_x_squared = sum([x[i] ** 2 for i in range(len(x))])
    n = len(x)
    return (n * sum_xy - sum(x) * sum(y)) / (n * sum_x_squared - sum(x) ** 2)


@task
def intercept(x: list[int], y: list[int], slope: float) -> float:
    mean_x = sum(x) / len(x)
    mean_y = sum(y) / len(y)
    intercept = mean_y - slope * mean_x
    return intercept


# Create an imperative workflow
imperative_wf = Workflow(name="imperative_workflow")


# Add the workflow inputs to the imperative workflow
imperative_wf.add_workflow_input("x", list[int])
imperative_wf.add_workflow_input("y", list[int])


# Add the tasks that need to be triggered from within the workflow
node_t1 = imperative_wf.add_entity(slope, x=imperative_wf.inputs["x"], y=imperative_wf.inputs["y"])
node_t2 = imperative_wf.add_entity(
    intercept, x=imperative_wf.inputs["x"], y=imperative_wf.inputs["y"], slope=node_t1.outputs["o0"]
)


# Add the workflow output
imperative_wf.add_workflow_output("wf_output", node_t2.outputs["o0"])


# Execute the workflow locally as follows
if __name__ == "__main__":
    print(f"Running imperative_wf() {imperative_wf(x=[-3, 0, 3], y=[7, 4, -2])}")
