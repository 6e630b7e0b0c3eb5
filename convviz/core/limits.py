"""Every limit convviz puts on what a file, a folder or a typed value may ask of the machine.

Files from strangers are opened (weights, images, labelled folders, model files): each of them is
checked against these numbers *before* anything that size is allocated or read, and a refusal is
one line naming the limit. One declaration per limit; the README's "Limits" section states them.
Sections are kept apart so that each kind of input reads only its own numbers.
"""

from __future__ import annotations

# --- images (imageio, folders) --------------------------------------------------------------

# --- labelled folders -----------------------------------------------------------------------

# --- network descriptions and weights files -------------------------------------------------

# --- outputs, the trainer's pipe and the window ---------------------------------------------
