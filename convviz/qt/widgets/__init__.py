"""Reusable drawing pieces, each knowing nothing of the app: the bar chart, the wrapping toolbar
layout, cheap live text, the mosaic of feature maps, the drawing grid and the step-by-step
controls the stepper panels share (cell_grid: the maps as cells; stepper_controls: play/step;
stepper_panel: the panel they are made on).
Widgets import no panel, no Session and no main window."""
