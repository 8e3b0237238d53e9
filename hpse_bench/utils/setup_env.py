import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every hpse_bench module so that it is in the registries.

    Args:
        init_default_scope: make ``hpse_bench`` the current default scope
            (a new instance is created when another scope is current).
    """
    import importlib

    # The one place where a lower floor imports the upper ones, as in every
    # OpenMMLab codebase: this is what fills the registries.
    for package in ('hpse_bench.checkpoint', 'hpse_bench.datasets',
                    'hpse_bench.models', 'hpse_bench.engine',
                    'hpse_bench.evaluation', 'hpse_bench.visualization'):
        importlib.import_module(package)

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    never_created = (current is None
                     or not DefaultScope.check_instance_created('hpse_bench'))
    if never_created:
        DefaultScope.get_instance('hpse_bench', scope_name='hpse_bench')
        return
    if current.scope_name != 'hpse_bench':
        warnings.warn('The current default scope '
                      f'"{current.scope_name}" is not "hpse_bench"; '
                      'register_all_modules creates a new "hpse_bench" '
                      'default scope.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(
            f'hpse_bench-{stamp}', scope_name='hpse_bench')
