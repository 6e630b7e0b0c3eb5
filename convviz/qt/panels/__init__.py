"""One module per dock of the main window, named after the dock: kernels, feature_maps,
filtering, pooling, relu, architecture; a package where a dock has parts: votes/, why/, learned/;
and canvas, the drawing in the centre. Each panel keeps the contract of qt.panel_contract.Panel;
panels do not import each other (what two share lives in qt.widgets or convviz.core)."""
