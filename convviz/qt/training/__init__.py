"""Training in the window: the Train dialog, the labelled-folder loader, the worker that talks to
the trainer process, the Training panel (progress and loss plot) with the Backprop view, the
Results panel, and the wiring that connects them to the Train menu."""
