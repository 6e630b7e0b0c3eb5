"""What it learned: for any convolution feature or class, the picture it would like best and the
training images that excite it most.

- *The picture it would like best*: gradient ascent on the input (core.feature_vis) from a blank
  picture or the drawing, shown next to the feature's kernel; Stop keeps the best picture so far,
  "Put it on the canvas" lets every panel read it.
- *The images that excite it most*: after a training run, the nine images of its data where the
  feature responded most strongly, each with the patch the feature saw (its receptive field)
  outlined; for a class, the nine it was surest of and the nine it was least sure of
  (core.top_images). Clicking an image opens it on the canvas.

Both run in the session's background jobs, on a copy of the network (the window's thread keeps
the original). The training images come from the training tools (learned_wiring), which hand
them over with `set_training_images` while the trained network is the one in use.

Modules: panel (LearnedPanel: what is looked at, its kernel, the layout), best_picture (the
picture it would like best), top_images (the images that excite it most), pictures (the pieces
both draw with).
"""
