"""The lesson around the panels: its one outline (lesson), the guided tour and its steps, the
Help window and its words, and the architecture panel's wiring (Apply builds the network, Train
asks for a run)."""
