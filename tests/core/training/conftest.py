"""Shared set-up for the training tests: one CPU thread (others share the machine)."""

import torch

torch.set_num_threads(1)
