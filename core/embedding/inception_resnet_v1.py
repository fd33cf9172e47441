"""Inception-ResNet-v1 (Szegedy et al. 2016) as used by FaceNet (Sandberg's 20180408-102900 model).

Batch norm of every convolution is folded into the convolution's bias, as in the frozen graph the
weights come from; only the bottleneck keeps its BatchNorm1d. The output is the L2-normalised
512-d embedding. Module names mirror the TensorFlow scopes (see ``weights.tf_name_map``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvReLU(nn.Module):
    """Convolution with (folded batch-norm) bias followed by ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x), inplace=True)


class Block35(nn.Module):
    """35x35 residual block (Inception-ResNet-A), 256 channels."""

    def __init__(self, scale: float = 0.17) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = ConvReLU(256, 32, 1)
        self.branch1 = nn.Sequential(ConvReLU(256, 32, 1), ConvReLU(32, 32, 3, padding=1))
        self.branch2 = nn.Sequential(ConvReLU(256, 32, 1), ConvReLU(32, 32, 3, padding=1),
                                     ConvReLU(32, 32, 3, padding=1))
        self.up = nn.Conv2d(96, 256, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)
        return F.relu(x + self.scale * self.up(mixed))


class Block17(nn.Module):
    """17x17 residual block (Inception-ResNet-B), 896 channels."""

    def __init__(self, scale: float = 0.10) -> None:
        super().__init__()
        self.scale = scale
        self.branch0 = ConvReLU(896, 128, 1)
        self.branch1 = nn.Sequential(ConvReLU(896, 128, 1), ConvReLU(128, 128, (1, 7), padding=(0, 3)),
                                     ConvReLU(128, 128, (7, 1), padding=(3, 0)))
        self.up = nn.Conv2d(256, 896, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.cat((self.branch0(x), self.branch1(x)), 1)
        return F.relu(x + self.scale * self.up(mixed))


class Block8(nn.Module):
    """8x8 residual block (Inception-ResNet-C), 1792 channels; the last one has no ReLU."""

    def __init__(self, scale: float = 0.20, relu: bool = True) -> None:
        super().__init__()
        self.scale = scale
        self.relu = relu
        self.branch0 = ConvReLU(1792, 192, 1)
        self.branch1 = nn.Sequential(ConvReLU(1792, 192, 1), ConvReLU(192, 192, (1, 3), padding=(0, 1)),
                                     ConvReLU(192, 192, (3, 1), padding=(1, 0)))
        self.up = nn.Conv2d(384, 1792, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.cat((self.branch0(x), self.branch1(x)), 1)
        out = x + self.scale * self.up(mixed)
        return F.relu(out) if self.relu else out


class Mixed6a(nn.Module):
    """Reduction-A: 256 -> 896 channels, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = ConvReLU(256, 384, 3, stride=2)
        self.branch1 = nn.Sequential(ConvReLU(256, 192, 1), ConvReLU(192, 192, 3, padding=1),
                                     ConvReLU(192, 256, 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x)), 1)


class Mixed7a(nn.Module):
    """Reduction-B: 896 -> 1792 channels, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = nn.Sequential(ConvReLU(896, 256, 1), ConvReLU(256, 384, 3, stride=2))
        self.branch1 = nn.Sequential(ConvReLU(896, 256, 1), ConvReLU(256, 256, 3, stride=2))
        self.branch2 = nn.Sequential(ConvReLU(896, 256, 1), ConvReLU(256, 256, 3, padding=1),
                                     ConvReLU(256, 256, 3, stride=2))
        self.branch3 = nn.MaxPool2d(3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)), 1)


class InceptionResnetV1(nn.Module):
    """FaceNet's Inception-ResNet-v1: 160x160 standardised RGB in, L2-normalised embedding out."""

    def __init__(self, embedding_size: int = 512, dropout: float = 0.2) -> None:
        super().__init__()
        self.conv2d_1a = ConvReLU(3, 32, 3, stride=2)
        self.conv2d_2a = ConvReLU(32, 32, 3)
        self.conv2d_2b = ConvReLU(32, 64, 3, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = ConvReLU(64, 80, 1)
        self.conv2d_4a = ConvReLU(80, 192, 3)
        self.conv2d_4b = ConvReLU(192, 256, 3, stride=2)
        self.repeat_1 = nn.Sequential(*[Block35(0.17) for _ in range(5)])
        self.mixed_6a = Mixed6a()
        self.repeat_2 = nn.Sequential(*[Block17(0.10) for _ in range(10)])
        self.mixed_7a = Mixed7a()
        self.repeat_3 = nn.Sequential(*[Block8(0.20) for _ in range(5)])
        self.block8 = Block8(1.0, relu=False)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.last_linear = nn.Linear(1792, embedding_size, bias=False)
        self.last_bn = nn.BatchNorm1d(embedding_size, eps=0.001, momentum=0.1, affine=True)

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Everything up to (and including) mixed_7a: the part frozen when fine-tuning on CPU."""
        x = self.conv2d_1a(x)
        x = self.conv2d_2a(x)
        x = self.conv2d_2b(x)
        x = self.maxpool_3a(x)
        x = self.conv2d_3b(x)
        x = self.conv2d_4a(x)
        x = self.conv2d_4b(x)
        x = self.repeat_1(x)
        x = self.mixed_6a(x)
        x = self.repeat_2(x)
        return self.mixed_7a(x)

    def head(self, features: torch.Tensor) -> torch.Tensor:
        """From mixed_7a features to the L2-normalised embedding."""
        x = self.repeat_3(features)
        x = self.block8(x)
        x = self.avgpool(x).flatten(1)
        x = self.dropout(x)
        x = self.last_bn(self.last_linear(x))
        return F.normalize(x, p=2, dim=1, eps=1e-10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))
