"""The top floor: the inference API (:mod:`.inference`), the train / test /
export entry points (``python -m hpse_bench.apis.train``), the baseline and
probe read-outs, and the launch glue they share (:mod:`.launch`)."""
from .inference import inference_mesh, init_model

__all__ = ['init_model', 'inference_mesh']
