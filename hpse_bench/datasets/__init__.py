from . import transforms  # noqa: F401
from .coco_densepose import CocoDensePoseDataset  # noqa: F401
from .coco_person_crops import CocoPersonCropDataset  # noqa: F401
from .human_data import HumanDataFile  # noqa: F401
from .human_image_dataset import HumanImageDataset  # noqa: F401
from .lsp_dataset import LspDataset  # noqa: F401
from .mixed_human_dataset import MixedHumanDataset  # noqa: F401
from .samplers import MixedHumanSampler  # noqa: F401
