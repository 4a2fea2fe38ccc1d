# After flytesnacks' advanced_composition/conditional.py (noop_in_conditional; Apache-2.0,
# https://github.com/flyteorg/flytesnacks/blob/master/examples/advanced_composition/advanced_composition/conditional.py)
from hpcflow import conditional, task, workflow
from hpcflow import Echo
import random

@task
def coin_toss(seed: int) -> bool:
    r = random.Random(seed)
    return r.random() < 0.5

@task
def circumference(radius: float) -> float:
    return 2 * 3.14159 * radius

echo = Echo(name="echo", inputs={"radius": float})

@workflow
def noop_in_conditional(radius: float, seed: int = 5) -> float:
    is_heads = coin_toss(seed=seed)
    return (conditional("noop_in_conditional").if_(is_heads.is_true()).then(circumference(radius=radius))
            .else_().then(echo(radius=radius)))
