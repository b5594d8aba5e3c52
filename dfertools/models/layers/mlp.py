"""The transformer feed-forward network (FFN, mae_dfer eq. 11-12)."""
from typing import Optional

import torch
from torch import nn


class Mlp(nn.Module):
    """``fc1 -> GELU -> fc2 -> dropout`` (VideoMAE's key layout)."""

    def __init__(self, in_features: int, hidden_features: Optional[int] = None,
                 out_features: Optional[int] = None, drop: float = 0.):
        super().__init__()
        hidden_features = hidden_features or in_features
        out_features = out_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.act(self.fc1(x))))
