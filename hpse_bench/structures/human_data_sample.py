from mmengine.structures import BaseDataElement


class HumanDataSample(BaseDataElement):
    """One person crop with its labels and, after ``predict``, predictions.

    The fields are listed in ``docs/data_contract.md``. Ground truth fields
    start with ``gt_``, predictions with ``pred_``; all are tensors of fixed
    shape so that samples from different datasets stack into one batch.
    """
