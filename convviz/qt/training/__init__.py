"""Training in the window: the Train dialog (dialog and its parts dialog_folder, dialog_network,
dialog_options), the labelled-folder loader, the worker that talks to the trainer process and the
controller that owns its thread, the Training panel (progress and loss plot), the Backprop view,
the Results panel, and the wiring that connects them to the Train menu (train_menu,
session_docks, trained_network)."""
