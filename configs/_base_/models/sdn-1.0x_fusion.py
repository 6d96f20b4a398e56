# The detector body shared by the entry configs (configs/sdn_ssd_neu.py,
# configs/sdn_retinanet_neu.py): NEU-DET pixel normalisation, ShuffleDefectNet 1.0x from
# scratch (no ImageNet weights are reachable here) and the fusion neck, 96 channels.
# Each entry config adds its head and sets the neck's number of levels.
model = dict(
    type='SingleStageDetector',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0],
        bgr_to_rgb=True,
        pad_size_divisor=1),
    backbone=dict(
        type='ShuffleDefectNet',
        widen_factor=1.0,
        out_indices=(0, 1, 2),
        norm_cfg=dict(type='BN'),
        init_cfg=None),
    neck=dict(
        type='SDNFusionNeck',
        in_channels=[116, 232, 464],
        out_channels=96,
        num_outs=6))
