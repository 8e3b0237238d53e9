"""What a report was made from: package versions, the machine, the study
config's digest and every stage's fingerprint."""
import hashlib
import os
import platform
import time
from typing import Dict, List

from mmengine.config import Config

from ..spec import Stage

#: Packages whose versions a report records.
PACKAGES = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmpretrain', 'mmpose',
            'mmdet', 'smplx', 'numpy')


def environment() -> Dict[str, str]:
    """Python, platform, package versions and the compute device."""
    env = {
        'python': platform.python_version(),
        'platform': platform.platform(),
        'processor': platform.processor() or platform.machine(),
    }
    for name in PACKAGES:
        try:
            module = __import__(name)
            env[name] = getattr(module, '__version__', '?')
        except Exception:  # noqa: BLE001 - record what is importable
            env[name] = 'not installed'
    try:
        import torch
        env['device'] = (
            torch.cuda.get_device_name(0)
            if torch.cuda.is_available() else f'cpu x{os.cpu_count()}')
    except Exception:  # noqa: BLE001
        pass
    return env


def provenance(cfg: Config, stages: List[Stage], records: Dict[str, dict],
               study_cfg_path: str) -> Dict:
    """The ``provenance.json`` of a report (the runner adds how the stages
    ran: profile, code version, launcher, commands)."""
    from hpse_bench.version import __version__
    return dict(
        hpse_bench=__version__,
        code_version=cfg.get('code_version'),
        study_config=study_cfg_path,
        study_config_sha256=hashlib.sha256(
            cfg.pretty_text.encode()).hexdigest()[:16],
        seeds=list(cfg.get('seeds', [0])),
        generated=time.strftime('%Y-%m-%dT%H:%M:%S'),
        environment=environment(),
        stages={
            s.name:
            dict(
                fingerprint=records.get(s.name, {}).get('fingerprint'),
                config=s.config,
                work_dir=s.work_dir,
                seconds=records.get(s.name, {}).get('seconds'))
            for s in stages
        })
