"""Models, one subpackage per role.

Nothing is imported eagerly: the registries name each subpackage in their
``locations``, and ``register_all_modules()`` imports them all, so that
importing a light module (e.g. ``body_models.conventions``) does not load
every model library.
"""
MODEL_PACKAGES = [
    'hpse_bench.models.body_models',
    'hpse_bench.models.heads',
    'hpse_bench.models.losses',
    'hpse_bench.models.necks',
    'hpse_bench.models.pretrain',
    'hpse_bench.models.regressors',
    'hpse_bench.models.utils',
]
