"""The "Where it looked" dock: panel (which pixels mattered, by saliency, Grad-CAM or occlusion),
with its two rows of controls, fool_controls (nudge the drawing until the network says another
class) and whatif_controls (switch off a map or neuron, or draw a feature by hand). The
arithmetic is in convviz.core (explain, fool, whatif, heatmap)."""
