"""Four models in plain PyTorch to try ``initlab inspect`` and :mod:`initlab.torch` on.

    initlab inspect examples/models.py:resnet18 --input-shape 8,3,64,64
    initlab inspect examples/models.py:mlp --input-shape 256,784 --lsuv

Each function builds a fresh model with PyTorch's default initialization (torch's global random
state, as any user model; with ``seed`` it is built reproducibly and that state is left as it was). Shapes:

- :func:`mlp`: (batch, 784) -> (batch, 10); Linear + ReLU.
- :func:`resnet18`: (batch, 3, H, W) -> (batch, 10); the ResNet-18 layout (He et al. 2016):
  a 7x7 stem, four stages of two basic residual blocks (64, 128, 256, 512 channels), BatchNorm.
- :func:`vgg`: (batch, 3, H, W) -> (batch, 10); VGG-style 3x3 conv stacks with max pooling.
- :func:`transformer`: (batch, seq, 128) -> (batch, seq, 128); ``nn.TransformerEncoderLayer`` x 4.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn


def _build(make: Callable[[], nn.Module], seed: int | None) -> nn.Module:
    """``make()``; with ``seed``, inside a forked torch RNG seeded from it (PyTorch's own default
    initialization, reproducible, and the caller's random stream untouched)."""
    if seed is None:
        return make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def mlp(widths: tuple[int, ...] = (784, 512, 256, 128, 10), seed: int | None = None) -> nn.Module:
    """A ReLU MLP: Linear layers of ``widths`` with ReLU between them."""

    def make() -> nn.Module:
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    return _build(make, seed)


class BasicBlock(nn.Module):
    """Two 3x3 conv + BatchNorm, ReLU, and the residual shortcut (1x1 conv when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)  # the same ReLU module is called twice per block


class ResNet18(nn.Module):
    """ResNet-18's layout for ``num_classes`` classes (torchvision's names: conv1, layer1..4, fc)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        chans, cin = (64, 128, 256, 512), 64
        for i, c in enumerate(chans, start=1):
            stride = 1 if i == 1 else 2
            setattr(self, f"layer{i}", nn.Sequential(BasicBlock(cin, c, stride), BasicBlock(c, c)))
            cin = c
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(num_classes: int = 10, seed: int | None = None) -> nn.Module:
    """A ResNet-18-shaped CNN with BatchNorm and residual blocks (11.2M parameters)."""
    return _build(lambda: ResNet18(num_classes), seed)


def vgg(channels: tuple[int, ...] = (64, 64, 128, 128, 256, 256), num_classes: int = 10,
        seed: int | None = None) -> nn.Module:
    """VGG-style: 3x3 conv + ReLU stacks, a 2x2 max pool after every second conv, then a classifier."""

    def make() -> nn.Module:
        layers: list[nn.Module] = []
        cin = 3
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU()]
            if i % 2 == 1:
                layers.append(nn.MaxPool2d(2))
            cin = c
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 256), nn.ReLU(),
                   nn.Linear(256, num_classes)]
        return nn.Sequential(*layers)

    return _build(make, seed)


def transformer(d_model: int = 128, heads: int = 4, layers: int = 4, seed: int | None = None) -> nn.Module:
    """A transformer encoder: ``layers`` x ``nn.TransformerEncoderLayer`` (batch first, dropout 0.1)."""
    def make() -> nn.Module:
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, batch_first=True)
        return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    return _build(make, seed)
