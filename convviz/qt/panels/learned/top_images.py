"""The images that excite a feature most: after a training run, the nine images of its data
where the feature responded most strongly, each with the patch it saw (its receptive field)
outlined; for a class, the nine it was surest of and the nine it was least sure of
(core.top_images). Clicking an image opens it on the canvas. A part of LearnedPanel (panel.py)."""

from __future__ import annotations

import copy

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ...widgets.bar_chart import short_name
from ...widgets.thumbnails import THUMB, thumbnail
from .pictures import on_canvas

NO_IMAGES = (
    "Train on a folder (Train menu) to see the images of its data that excite each "
    "feature most; the images are not kept with saved weights."
)


class ImageGrid(QListWidget):
    """Thumbnails (3 a row at the panel's width); a click puts the image on the canvas."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(THUMB + 16, THUMB + 26))
        self.setMinimumHeight(THUMB + 34)


class TopImagesSection:
    """LearnedPanel's images that excite it most (a mixin: these run on the panel)."""

    def set_training_images(self, model, X, y, paths) -> None:
        """The images a network was trained on; their top images are found while `model` is
        the network in use."""
        if self.images is not None and self.images[0] is model and self.images[1] is X:
            return
        self.images, self.top = (model, X, y, paths), None
        s = self.session
        if s is None or s.model is not model:
            self.images = None
            return
        from convviz.core.top_images import find_top_images
        from convviz.core.train_process import use_one_torch_thread_here

        copied = copy.deepcopy(model)

        def work(job):
            use_one_torch_thread_here()
            return find_top_images(copied, X, y, should_stop=job.cancelled, progress=job.progress)

        self.status.setText(f"Looking through {len(X):,} training images…")
        s.jobs.submit(
            "learned-top",
            work,
            self._found,
            self._top_failed,
            text="Finding the images that excite each feature most…",
        )

    def _found(self, top) -> None:
        self.top = top
        self._show_top()

    def _top_failed(self, message: str) -> None:
        self.status.setText(f"Could not look through the training images: {message}")

    def _network_changed(self) -> None:
        if self.images is not None and self.session.model is not self.images[0]:
            self._forget()

    def _forget(self) -> None:
        if self.session is not None:
            self.session.jobs.cancel("learned-top")
        self.images, self.top = None, None
        self._show_top()

    def _show_top(self) -> None:
        self.most.clear()
        self.least.clear()
        layer, index = self.target()
        self.least.setVisible(layer is None)
        self.least_title.setVisible(layer is None)
        if self.top is None or self.images is None or self.spec is None:
            self.most_title.setText("The images that excite it most")
            self.least_title.setText("")
            if not self.status.text().startswith("Looking"):
                self.status.setText(NO_IMAGES)
            return
        _model, X, _y, paths = self.images
        n = f"{self.top.images:,} training images"
        self.status.setText(f"Found among {n}. Click an image to open it on the canvas.")
        if layer is None:
            c = self.top.classes
            name = short_name(self.spec.classes[index])
            self.most_title.setText(f"Images of {name!r} it was surest of")
            self.least_title.setText(f"Images of {name!r} it was least sure of")
            self._fill(self.most, X, paths, c.most[index], c.most_p[index], "p")
            self._fill(self.least, X, paths, c.least[index], c.least_p[index], "p")
            return
        from convviz.core.receptive_field import receptive_field

        tops = self.top.layers[layer]
        field = receptive_field(self.spec, layer)
        h, w = X.shape[-2:]
        patches = [
            field.patch(int(r), int(c), h, w)
            for r, c in zip(tops.rows[index], tops.cols[index], strict=True)
        ]
        self.most_title.setText(
            f"The images that excite it most (outlined: the "
            f"{field.rows.size}x{field.cols.size} patch it saw)"
        )
        self._fill(self.most, X, paths, tops.indices[index], tops.scores[index], "", patches)

    def _fill(self, grid, X, paths, indices, scores, prefix, patches=None) -> None:
        for k, (i, score) in enumerate(zip(indices, scores, strict=True)):
            if i < 0:
                continue
            patch = patches[k] if patches else None
            item = QListWidgetItem(
                thumbnail(X[i], self.spec.value_range, patch), f"{prefix} {score:.2f}".strip()
            )
            item.setData(Qt.ItemDataRole.UserRole, int(i))
            item.setToolTip(f"{paths[i] if paths else f'image {i}'}\nClick: open it on the canvas")
            grid.addItem(item)

    def _image_to_canvas(self, item) -> None:
        if self.images is not None and self.session is not None:
            on_canvas(self.session, self.images[1][int(item.data(Qt.ItemDataRole.UserRole))])
