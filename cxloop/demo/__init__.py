"""The demo company and its data: a deterministic seed that features extend with their own steps.

Each step is a function `step(ctx: DemoContext) -> None` registered in `STEPS` (in `steps.py`), run once per
database in order, with its own random generator seeded from the step's name, so adding a step never
changes what earlier steps produce.
"""
