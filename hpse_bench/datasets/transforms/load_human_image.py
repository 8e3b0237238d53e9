"""Image loading for HumanData samples."""
from typing import Optional

import mmcv
from mmcv.transforms import BaseTransform
from mmengine import fileio

from hpse_bench.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadHumanImage(BaseTransform):
    """Read ``results['img_path']`` into ``results['img']`` (H, W, 3) uint8.

    Like ``mmcv.LoadImageFromFile``, but a missing or undecodable image is
    an error that names the image, the annotation file, the dataset and the
    sample (index and row), never a silently dropped sample.

    Required keys: ``img_path``. Added keys: ``img``, ``img_shape``,
    ``ori_shape`` (both ``(H, W)`` of the image as stored).

    Args:
        channel_order: ``'bgr'`` (the OpenMMLab default; the model's data
            preprocessor converts with ``bgr_to_rgb=True``) or ``'rgb'``.
        imdecode_backend: mmcv decoding backend (``'cv2'``, ``'pillow'``,
            ``'turbojpeg'``, ``'tifffile'``).
        backend_args: mmengine file backend arguments (e.g. for Petrel).
    """

    def __init__(self,
                 channel_order: str = 'bgr',
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(
                f'channel_order must be "bgr" or "rgb"; got {channel_order}')
        self.channel_order = channel_order
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    @staticmethod
    def _where(results: dict) -> str:
        """The sample, its row and its annotation file, for messages."""
        where = f'sample {results.get("sample_idx")}'
        if 'row_idx' in results:
            where += f', row {results["row_idx"]}'
        if 'ann_file' in results:
            where += f' of {results["ann_file"]}'
        return f'{where}, dataset {results.get("dataset_name")}'

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        where = self._where(results)
        try:
            img_bytes = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(
                f'image not found: {path} ({where}). The annotation file '
                'names an image that is not there: if the data root was '
                'regenerated or moved since the annotation file was '
                'written, rebuild the data or point the config at the '
                'images of that annotation file') from e
        img = mmcv.imfrombytes(
            img_bytes,
            flag='color',
            channel_order=self.channel_order,
            backend=self.imdecode_backend)
        if img is None:
            raise ValueError(f'cannot decode image {path} ({where})')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(channel_order='
                f"'{self.channel_order}', imdecode_backend="
                f"'{self.imdecode_backend}')")
