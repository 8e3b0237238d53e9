from .projection_mlp import ProjectionMLP  # noqa: F401
