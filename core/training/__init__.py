"""Metric learning with triplet loss (FaceNet): losses, miners, P x K sampling, face augmentation,
datasets, small models, the training loop (checkpoints, cancel, DDP) and the saved-model format.

Modules: ``losses``, ``miners``, ``samplers``, ``augment``, ``datasets``, ``models``, ``saved_model``
(``save_model``/``load_model``/``register_arch``), ``trainer`` (``TrainConfig``, ``train``),
``checkpoint``, ``repeatability``, ``distributed`` (``launch``), ``curves``, ``scratch`` (``train_scratch``).
Nothing is imported here, so ``import core.training.losses`` stays light.
"""
