"""The last weights that gave a finite loss: what a run puts back when its loss turns NaN.

Kept are the trainable weights and batch normalisation's running statistics (buffers that the
forward pass itself updates, before the loss can be judged). They live in one flat tensor per
dtype, and `kept` are views into it, so that keeping them costs the same few operations
whatever the network: on a GPU, where the loss is judged on the device without waiting for it,
one batch's `follow` is a concatenation and a `where` (it was a `where` and a copy per weight
tensor: 2 kernel launches each, about 20 a batch for `shapes` and 140 for `resnet`, next to
a few hundred for the batch itself).
"""

from __future__ import annotations

import torch


class LastGood:
    def __init__(self, kept: list[torch.Tensor]):
        self.live = [t.detach() for t in kept]
        self.groups: dict[torch.dtype, tuple[list[int], torch.Tensor]] = {}
        for i, t in enumerate(self.live):
            self.groups.setdefault(t.dtype, ([], torch.empty(0)))[0].append(i)
        self.kept: list[torch.Tensor] = [torch.empty(0)] * len(self.live)
        for dtype, (idx, _) in list(self.groups.items()):
            flat = torch.cat([self.live[i].reshape(-1) for i in idx]).clone()  # (sum of numel,)
            self.groups[dtype] = (idx, flat)
            at = 0
            for i in idx:  # views into flat, each shaped as its weight
                n = self.live[i].numel()
                self.kept[i] = flat[at : at + n].view_as(self.live[i])
                at += n

    @torch.no_grad()
    def take(self) -> None:
        """Keep the weights as they are now (the loss they gave was read and is finite)."""
        torch._foreach_copy_(self.kept, self.live)

    @torch.no_grad()
    def follow(self, all_finite: torch.Tensor) -> None:
        """Keep the weights as they are now if `all_finite` (a bool on the device: every loss
        so far finite), else leave the kept ones: decided on the device, nothing read back."""
        for idx, flat in self.groups.values():
            now = torch.cat([self.live[i].reshape(-1) for i in idx])
            torch.where(all_finite, now, flat, out=flat)

    @torch.no_grad()
    def restore(self) -> None:
        torch._foreach_copy_(self.live, self.kept)
