"""The Qt-free engine: specs, network and trace, presets, data, training and weights I/O."""
