# pose2d-simplebaseline_r50_4xb64-140e_lsp-256x256.py with ResNet-152: the
# backbone sizes of the 2D-pre-training study. Validation: PCKh@0.5 (head
# segment) and PCK@0.2 (box) on the LSP test images.
_base_ = ['./pose2d-simplebaseline_r50_4xb64-140e_lsp-256x256.py']

model = dict(backbone=dict(depth=152), head=dict(in_channels=2048))
