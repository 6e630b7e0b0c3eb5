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
# Numbers typed on the command line: each is checked before it is used (cli.check_numbers).
SEED_MAX = 2**32 - 1  # numpy's and torch's seeds are unsigned 32-bit
SHAPES_SIZE_RANGE = (5, 512)  # `shapes --size`: a 512x512 drawing is far above any network here
SHAPES_PER_CLASS_MAX = 100_000  # `shapes --per-class`: 600,000 files
EPOCHS_MAX = 100_000
BATCH_SIZE_MAX = 65_536
VAL_SPLIT_MAX = 0.99  # the share of images held back: some must be left to train on
LR_MAX = 10.0  # Adam above this diverges at once; a typo like 3e3 for 3e-3 is said as such
# A run that diverges or is stopped never replaces a file at --out: its weights go next to it,
# NAME.diverged.EXT or NAME.stopped.EXT (cli.cmd_train).
# The trainer's pipe: every message is a length-prefixed frame, and none is read past its bound
# (train_process.read_message): a job (the network's weights, at most 400 MB by the parameter
# limit, and the labels); the images a job announces (above any labelled folder's decoded
# images); and from the trainer, the job's own weights twice and its labels plus this slack.
PIPE_JOB_MAX_BYTES = 1 << 30
PIPE_IMAGES_MAX_BYTES = 4 << 30
PIPE_SLACK_BYTES = 64 << 20
# The counts of every (true, said) pair are kept as a table up to this many classes (8 MB);
# above it only the validation answers are kept, and the window counts what it shows from them.
CONFUSION_TABLE_MAX_CLASSES = 1_000
# The window: nothing in it grows with the square of the number of classes.
MATRIX_TABLE_MAX_CLASSES = 30  # up to this many a confusion table, one cell per pair; above it
# a picture of the matrix (at most MATRIX_IMAGE_MAX_PX pixels a side) and the top confusions
MATRIX_IMAGE_MAX_PX = 512
TOP_CONFUSIONS = 50
VOTES_MAX_BARS = 12  # the votes chart shows the strongest this many classes of a larger model
NAME_SHOWN_CHARS = 80  # a class name longer than this is cut (with "…") before it is measured
# or drawn; its full text is in the tooltip, up to NAME_TOOLTIP_CHARS
NAME_TOOLTIP_CHARS = 2_000
