"""Networks, one subpackage per role: pre-training algorithms, regressors,
heads, necks and losses.

Importing this package registers all of them (and SMPL, from
:mod:`hpse_bench.body_models`); the registries name it in their
``locations``, so a config that builds an hpse_bench model imports it on
demand. Light modules below it (conventions, cameras, the body model) never
import it.
"""
from hpse_bench import body_models  # noqa: F401  (registers SMPL)
from . import heads, losses, necks, pretrain, regressors, utils  # noqa: F401
