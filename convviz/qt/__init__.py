"""The window. Top level: main_window (assembles the docks; its menus in window_menus, its
files in window_files), session (the app's state),
panel_registry (which docks exist), panel_contract (what a panel implements), docks (placing
them), settings, theme, background (the one worker pattern).
Sub-packages by role: widgets/ (drawing pieces), panels/ (one module per dock), deck/ (tour and
help), training/ (dialog, worker, panels). Kept free of imports: the core's tests import
convviz without Qt."""
